/**
 * How this process reaches S3: the config's `s3` block (an endpoint for S3-compatible stores such as
 * MinIO, R2 or Ceph, a region, path-style addressing, the checksum mode). Credentials are never here: the
 * AWS SDK's own chain finds them (AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY, AWS_PROFILE and
 * ~/.aws/credentials, SSO, web identity, instance and container roles). Set once at start-up by the command
 * or the service from its config, like the environment the SDK also reads.
 */
import { z } from 'zod';

export const s3SettingsSchema = z
  .object({
    /** http(s) URL of an S3-compatible store (MinIO, R2, Ceph); env AWS_ENDPOINT_URL_S3, else AWS_ENDPOINT_URL */
    endpoint: z.string().url().optional(),
    /** else AWS_REGION or the AWS profile's; us-east-1 when an endpoint is set and none is found */
    region: z.string().min(1).optional(),
    /** `http://HOST/BUCKET/KEY` instead of `http://BUCKET.HOST/KEY` (default: true when an endpoint is set) */
    forcePathStyle: z.boolean().optional(),
    /**
     * `when-supported` (the SDK's default): CRC checksums on uploads and downloads; `when-required`: only
     * where the S3 API demands them, for stores that reject the SDK's checksum headers
     */
    checksums: z.enum(['when-supported', 'when-required']).optional(),
    /**
     * s3:// prefixes jobs submitted over HTTP may name corpora under, read with the server's credentials
     * (default none: an HTTP job reads only the corpora folders)
     */
    httpCorpora: z
      .array(z.string().regex(/^s3:\/\/[a-z0-9][a-z0-9.-]{1,61}[a-z0-9](\/.*)?$/, 'an s3://BUCKET/PREFIX URL'))
      .default([]),
  })
  .strict();

export type S3Settings = z.infer<typeof s3SettingsSchema>;

let current: Readonly<Partial<S3Settings>> = {};

export function configureS3(settings: Partial<S3Settings>): void {
  current = Object.freeze({ ...settings });
}

export const s3Settings = (): Readonly<Partial<S3Settings>> => current;
