import { createHash } from 'node:crypto';
import { AwsServiceError, escapeXml, type BeforeOperation, type RestXmlService, type WireRequest, type WireResponse } from './protocols';

/**
 * S3 for the independent data comparison's plans and results: PutObject, GetObject and ListObjectsV2, path
 * style (the SDK addresses a bucket by path when the endpoint is an IP address), objects kept in memory.
 * Buckets need not be created first: the stack creates them at deployment.
 */
interface StoredObject {
  body: string;
  contentType: string;
  etag: string;
  lastModified: Date;
}

const S3_NAMESPACE = 'http://s3.amazonaws.com/doc/2006-03-01/';

export function s3Service(buckets: Map<string, Map<string, StoredObject>>): RestXmlService {
  const bucket = (name: string) => {
    let objects = buckets.get(name);
    if (!objects) buckets.set(name, (objects = new Map()));
    return objects;
  };
  const operations: Record<string, (request: WireRequest, bucketName: string, key: string, query: URLSearchParams) => WireResponse> = {
    PutObject: (request, bucketName, key) => {
      const etag = `"${createHash('md5').update(request.body).digest('hex')}"`;
      bucket(bucketName).set(key, { body: request.body, contentType: String(request.headers['content-type'] ?? 'binary/octet-stream'), etag, lastModified: new Date() });
      return { statusCode: 200, headers: { etag }, body: '' };
    },
    GetObject: (_request, bucketName, key) => {
      const object = bucket(bucketName).get(key);
      if (!object) throw Object.assign(new AwsServiceError('NoSuchKey', 'The specified key does not exist.', 404), { key });
      return {
        statusCode: 200,
        headers: { 'content-type': object.contentType, etag: object.etag, 'last-modified': object.lastModified.toUTCString() },
        body: object.body,
      };
    },
    ListObjectsV2: (_request, bucketName, _key, query) => {
      const prefix = query.get('prefix') ?? '';
      const maxKeys = Number(query.get('max-keys') ?? 1000);
      const after = query.get('continuation-token') ?? query.get('start-after') ?? '';
      const matching = [...bucket(bucketName).entries()].filter(([key]) => key.startsWith(prefix) && key > after).sort(([a], [b]) => (a < b ? -1 : 1));
      const page = matching.slice(0, maxKeys);
      const truncated = matching.length > page.length;
      const contents = page
        .map(([key, object]) => `<Contents><Key>${escapeXml(key)}</Key><LastModified>${object.lastModified.toISOString()}</LastModified><ETag>${escapeXml(object.etag)}</ETag><Size>${Buffer.byteLength(object.body)}</Size><StorageClass>STANDARD</StorageClass></Contents>`)
        .join('');
      const next = truncated ? `<NextContinuationToken>${escapeXml(page[page.length - 1][0])}</NextContinuationToken>` : '';
      return {
        statusCode: 200,
        headers: { 'content-type': 'application/xml' },
        body: `<?xml version="1.0" encoding="UTF-8"?><ListBucketResult xmlns="${S3_NAMESPACE}"><Name>${escapeXml(bucketName)}</Name><Prefix>${escapeXml(prefix)}</Prefix><KeyCount>${page.length}</KeyCount><MaxKeys>${maxKeys}</MaxKeys><IsTruncated>${truncated}</IsTruncated>${contents}${next}</ListBucketResult>`,
      };
    },
  };
  return {
    protocol: 'rest-xml',
    signingName: 's3',
    async handle(request: WireRequest, beforeOperation: BeforeOperation): Promise<WireResponse> {
      const url = new URL(request.path, 'http://s3.local');
      const [, bucketName = '', ...keyParts] = url.pathname.split('/');
      const key = decodeURIComponent(keyParts.join('/'));
      const operationName = request.method === 'PUT' && key ? 'PutObject' : request.method === 'GET' && key ? 'GetObject' : request.method === 'GET' && url.searchParams.get('list-type') === '2' ? 'ListObjectsV2' : undefined;
      try {
        if (!operationName) throw new AwsServiceError('NotImplemented', `The emulator does not serve ${request.method} ${url.pathname}${url.search}`, 501);
        const bucketNamed = decodeURIComponent(bucketName);
        await beforeOperation({ name: operationName, protocol: 'rest-xml', service: 's3', input: { Bucket: bucketNamed, ...(key ? { Key: key } : {}) } });
        return operations[operationName](request, bucketNamed, key, url.searchParams);
      } catch (error) {
        const failure = error instanceof AwsServiceError ? error : new AwsServiceError('InternalError', (error as Error).message, 500);
        const keyElement = (failure as { key?: string }).key ? `<Key>${escapeXml((failure as { key?: string }).key ?? '')}</Key>` : '';
        return {
          statusCode: failure.statusCode,
          headers: { 'content-type': 'application/xml' },
          body: `<?xml version="1.0" encoding="UTF-8"?><Error><Code>${escapeXml(failure.code)}</Code><Message>${escapeXml(failure.message)}</Message>${keyElement}<RequestId>emulated</RequestId></Error>`,
        };
      }
    },
  };
}
