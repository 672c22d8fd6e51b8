/**
 * The few S3 requests the charm makes itself (the reference uses boto3 for the same:
 * canonical/postgresql-k8s-operator `src/backups.py` `_create_bucket_if_not_exists`,
 * `_upload_content_to_s3`, `_read_content_from_s3`): check or create the bucket, read and write
 * small objects. Requests are signed with AWS Signature Version 4 by the `aws4` package
 * (https://docs.aws.amazon.com/AmazonS3/latest/API/sig-v4-authenticating-requests.html) and sent
 * with node:https, trusting the relation's `tls-ca-chain` when it sent one.
 */
import http from 'node:http';
import https from 'node:https';
import aws4 from 'aws4';
import { BackupError } from './errors.ts';
import { regionalEndpoint, type S3Parameters } from './s3-parameters.ts';

const REQUEST_TIMEOUT_MS = 15_000;

export interface S3Response {
  readonly status: number;
  readonly body: string;
}

export interface S3Objects {
  /** 200 when the bucket exists and we may use it; other statuses as S3 answered them. */
  headBucket(): Promise<number>;
  createBucket(): Promise<void>;
  /** The object's text, or undefined when it does not exist. */
  getObject(key: string): Promise<string | undefined>;
  putObject(key: string, body: string): Promise<void>;
}

/** The object key for `relative` under the relation's path (reference: `os.path.join(path, s3_path).lstrip("/")`). */
export function objectKey(parameters: Pick<S3Parameters, 'path'>, relative: string): string {
  return `${parameters.path.replace(/\/+$/, '')}/${relative.replace(/^\/+/, '')}`.replace(/^\/+/, '');
}

function encodeKey(key: string): string {
  return key.split('/').map(encodeURIComponent).join('/');
}

export class S3Client implements S3Objects {
  private readonly url: URL;
  private readonly agent: http.Agent;

  constructor(private readonly parameters: S3Parameters) {
    this.url = new URL(regionalEndpoint(parameters));
    const ca = parameters.tlsCaChain?.join('\n');
    this.agent = this.url.protocol === 'http:' ? new http.Agent() : new https.Agent(ca === undefined ? {} : { ca });
  }

  /** Host and path of a request for `key` ('' for the bucket itself), in the relation's URI style. */
  private target(key: string): { host: string; path: string } {
    const encoded = key === '' ? '' : encodeKey(key);
    if (this.parameters.uriStyle === 'path') {
      return { host: this.url.host, path: `/${encodeURIComponent(this.parameters.bucket)}${key === '' ? '' : `/${encoded}`}` };
    }
    return { host: `${this.parameters.bucket}.${this.url.host}`, path: `/${encoded}` };
  }

  async request(method: string, key: string, body?: string): Promise<S3Response> {
    const { host, path } = this.target(key);
    const signed = aws4.sign(
      {
        host,
        path,
        method,
        service: 's3',
        region: this.parameters.region ?? 'us-east-1',
        headers: body === undefined ? {} : { 'Content-Type': 'application/octet-stream', 'Content-Length': Buffer.byteLength(body) },
        ...(body === undefined ? {} : { body }),
      },
      { accessKeyId: this.parameters.accessKey, secretAccessKey: this.parameters.secretKey },
    );
    const transport = this.url.protocol === 'http:' ? http : https;
    return new Promise<S3Response>((resolve, reject) => {
      const request = transport.request(
        {
          protocol: this.url.protocol,
          hostname: this.url.hostname,
          port: this.url.port === '' ? undefined : Number(this.url.port),
          method,
          path,
          headers: { ...(signed.headers as Record<string, string>), host },
          agent: this.agent,
          // Virtual-hosted style names the bucket's host; the certificate must match it.
          servername: host.replace(/:\d+$/, ''),
          timeout: REQUEST_TIMEOUT_MS,
        },
        (response) => {
          const chunks: Buffer[] = [];
          response.on('data', (chunk: Buffer) => chunks.push(chunk));
          response.on('end', () => resolve({ status: response.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
          response.on('error', reject);
        },
      );
      request.on('timeout', () => request.destroy(new BackupError('s3-request-failed', `S3 ${method} timed out after ${REQUEST_TIMEOUT_MS} ms`)));
      request.on('error', (error) => reject(error instanceof BackupError ? error : new BackupError('s3-request-failed', `S3 ${method} ${host}: ${error.message}`, { cause: error })));
      request.end(body);
    });
  }

  async headBucket(): Promise<number> {
    return (await this.request('HEAD', '')).status;
  }

  async createBucket(): Promise<void> {
    const region = this.parameters.region;
    // us-east-1 is S3's default location and must not be named (CreateBucket API reference).
    const body =
      region === undefined || region === 'us-east-1'
        ? undefined
        : `<CreateBucketConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><LocationConstraint>${region}</LocationConstraint></CreateBucketConfiguration>`;
    const response = await this.request('PUT', '', body);
    if (response.status !== 200) throw new BackupError('s3-request-failed', `S3 refused to create bucket ${this.parameters.bucket}: HTTP ${response.status}`);
  }

  async getObject(key: string): Promise<string | undefined> {
    const response = await this.request('GET', key);
    if (response.status === 404) return undefined;
    if (response.status !== 200) throw new BackupError('s3-request-failed', `S3 GET ${key}: HTTP ${response.status}`);
    return response.body;
  }

  async putObject(key: string, body: string): Promise<void> {
    const response = await this.request('PUT', key, body);
    if (response.status !== 200) throw new BackupError('s3-request-failed', `S3 PUT ${key}: HTTP ${response.status}`);
  }

  close(): void {
    this.agent.destroy();
  }
}
