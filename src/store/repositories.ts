/**
 * The store as its clients see it: one interface per repository. export/, report/ and http/ take
 * these (or an intersection), never the concrete Store, so a repository can change storage (part
 * files, a remote cache) behind the same calls.
 */
export type { DatasetRepository } from './datasets-repository.ts';
export type { ExampleRepository } from './examples-repository.ts';
export type { TeacherRepository } from './teachers-repository.ts';
export type { TeacherOutputRepository } from './teacher-outputs-repository.ts';
export type { StatsRepository } from './stats-repository.ts';
