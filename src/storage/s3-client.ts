/**
 * The only module that talks to S3, through the AWS SDK v3, which it loads on first use: a command that
 * names no `s3://` URL never parses the SDK. Every failure becomes one DistilleryError naming the URL and
 * what to do (a missing bucket or key, access denied, no credentials, no region, an unreachable endpoint).
 */
import type { S3Client } from '@aws-sdk/client-s3';
import { DistilleryError } from '../core/errors.ts';
import { s3Settings } from './s3-settings.ts';
import { parseS3Url, type S3Location } from './s3-url.ts';

type Sdk = typeof import('@aws-sdk/client-s3');

let loaded: Promise<{ sdk: Sdk; client: S3Client }> | undefined;

/** The SDK and one client for the process (settings as configured when first used). */
function s3(): Promise<{ sdk: Sdk; client: S3Client }> {
  loaded ??= import('@aws-sdk/client-s3').then((sdk) => {
    const s = s3Settings();
    const mode = s.checksums === 'when-required' ? 'WHEN_REQUIRED' : 'WHEN_SUPPORTED';
    const region = s.region ?? (s.endpoint ? 'us-east-1' : undefined);
    const client = new sdk.S3Client({
      ...(s.endpoint ? { endpoint: s.endpoint } : {}),
      ...(region ? { region } : {}),
      forcePathStyle: s.forcePathStyle ?? s.endpoint !== undefined,
      requestChecksumCalculation: mode,
      responseChecksumValidation: mode,
    });
    return { sdk, client };
  });
  return loaded;
}

const endpointName = (): string => s3Settings().endpoint ?? 'AWS S3';

/** What went wrong, said for `url`; `action` is what was being done ("read", "write", "list"). */
function s3Failure(e: unknown, url: string, action: string, loc: S3Location): DistilleryError {
  if (e instanceof DistilleryError) return e;
  const err = e as Error & { code?: string; $metadata?: { httpStatusCode?: number }; Code?: string };
  const name = err.name ?? '';
  const status = err.$metadata?.httpStatusCode;
  const cause = { cause: e };
  const net = err.code ?? (err.cause as { code?: string } | undefined)?.code;
  if (name === 'NoSuchBucket')
    return new DistilleryError(
      'NOT_FOUND',
      `cannot ${action} ${url}: bucket ${loc.bucket} does not exist at ${endpointName()}`,
      {
        hint: 'create the bucket, or check the URL and the S3 endpoint (s3.endpoint in the config, AWS_ENDPOINT_URL_S3)',
        ...cause,
      },
    );
  if (name === 'NoSuchKey' || name === 'NotFound' || status === 404)
    return new DistilleryError('NOT_FOUND', `cannot ${action} ${url}: no such object`, {
      hint: 'check the key (S3 keys are case-sensitive) and that the object was uploaded',
      ...cause,
    });
  if (name === 'CredentialsProviderError' || (/credential/i.test(err.message ?? '') && status === undefined))
    return new DistilleryError('CONFIG_INVALID', `cannot ${action} ${url}: no AWS credentials found`, {
      hint: 'set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or AWS_PROFILE with a profile in ~/.aws/credentials, or run with an instance or pod role',
      ...cause,
    });
  if (/region is missing/i.test(err.message ?? ''))
    return new DistilleryError('CONFIG_INVALID', `cannot ${action} ${url}: no AWS region configured`, {
      hint: 'set AWS_REGION, a region in the AWS profile, or s3.region in the config',
      ...cause,
    });
  if (status === 403 || /AccessDenied|InvalidAccessKeyId|SignatureDoesNotMatch|Forbidden/.test(name))
    return new DistilleryError('INVALID_INPUT', `cannot ${action} ${url}: access denied (${name || status})`, {
      hint: `check that the credentials are valid for ${endpointName()} and allow s3:GetObject, s3:PutObject and s3:ListBucket on bucket ${loc.bucket}`,
      ...cause,
    });
  if (net && /^(ECONNREFUSED|ENOTFOUND|EAI_AGAIN|ETIMEDOUT|ECONNRESET|EHOSTUNREACH|ENETUNREACH)$/.test(net))
    return new DistilleryError(
      'INVALID_INPUT',
      `cannot ${action} ${url}: S3 endpoint ${endpointName()} is unreachable (${net})`,
      {
        hint: 'check s3.endpoint in the config or AWS_ENDPOINT_URL_S3 / AWS_ENDPOINT_URL, and that the store is running',
        ...cause,
      },
    );
  return new DistilleryError('INTERNAL', `cannot ${action} ${url}: ${name ? `${name}: ` : ''}${err.message}`, cause);
}

async function call<T>(
  url: string,
  what: 'object' | 'prefix',
  action: string,
  fn: (c: { sdk: Sdk; client: S3Client }, loc: S3Location) => Promise<T>,
): Promise<T> {
  const loc = parseS3Url(url, what);
  try {
    return await fn(await s3(), loc);
  } catch (e) {
    throw s3Failure(e, url, action, loc);
  }
}

/** The object's size in bytes; a missing bucket and a missing key are told apart. */
export function headObject(url: string): Promise<{ bytes: number }> {
  return call(url, 'object', 'read', async ({ sdk, client }, loc) => {
    try {
      const h = await client.send(new sdk.HeadObjectCommand({ Bucket: loc.bucket, Key: loc.key }));
      return { bytes: h.ContentLength ?? 0 };
    } catch (e) {
      // HEAD answers have no body, so a 404 does not say whether the bucket or the key is missing
      if ((e as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode === 404)
        await client.send(new sdk.HeadBucketCommand({ Bucket: loc.bucket })).catch((b: Error) => {
          if ((b as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode === 404)
            throw Object.assign(new Error('no such bucket'), { name: 'NoSuchBucket' });
        });
      throw e;
    }
  });
}

/** The object's bytes [start, end) (the whole object without a range), as a stream of buffers. */
export async function* readObject(
  url: string,
  range?: { start: number; end?: number | undefined },
): AsyncGenerator<Buffer> {
  const body = await call(url, 'object', 'read', async ({ sdk, client }, loc) => {
    if (range && range.end !== undefined && range.end <= range.start) return undefined;
    const Range = range ? `bytes=${range.start}-${range.end === undefined ? '' : range.end - 1}` : undefined;
    const r = await client.send(
      new sdk.GetObjectCommand({ Bucket: loc.bucket, Key: loc.key, ...(Range ? { Range } : {}) }),
    );
    return r.Body as AsyncIterable<Uint8Array> | undefined;
  });
  if (!body) return;
  try {
    for await (const chunk of body) yield Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk);
  } catch (e) {
    throw s3Failure(e, url, 'read', parseS3Url(url, 'object'));
  }
}

/** The whole object in memory (a part file). */
export async function getObject(url: string): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of readObject(url)) chunks.push(c);
  return Buffer.concat(chunks);
}

/** One PUT: S3 makes the object visible whole or not at all, so no temporary key is needed. */
export function putObject(url: string, bytes: Buffer): Promise<void> {
  return call(url, 'object', 'write', async ({ sdk, client }, loc) => {
    await client.send(
      new sdk.PutObjectCommand({ Bucket: loc.bucket, Key: loc.key, Body: bytes, ContentLength: bytes.length }),
    );
  });
}

/** The names directly under a prefix URL (no deeper keys), sorted. */
export function listNames(prefixUrl: string): Promise<string[]> {
  return call(prefixUrl, 'prefix', 'list', async ({ sdk, client }, loc) => {
    const Prefix = loc.key === '' ? '' : `${loc.key}/`;
    const names: string[] = [];
    let ContinuationToken: string | undefined;
    do {
      const r = await client.send(
        new sdk.ListObjectsV2Command({
          Bucket: loc.bucket,
          Prefix,
          Delimiter: '/',
          ...(ContinuationToken ? { ContinuationToken } : {}),
        }),
      );
      for (const o of r.Contents ?? []) if (o.Key) names.push(o.Key.slice(Prefix.length));
      ContinuationToken = r.IsTruncated ? r.NextContinuationToken : undefined;
    } while (ContinuationToken);
    return names.sort();
  });
}
