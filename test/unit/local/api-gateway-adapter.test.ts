import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { serveHttpApi, type LocalHttpApi } from '../../../local/api-gateway-adapter';

describe('local API Gateway adapter', () => {
  const events: APIGatewayProxyEventV2[] = [];
  const errors: unknown[] = [];
  let api: LocalHttpApi;

  beforeAll(async () => {
    api = await serveHttpApi(
      async (event): Promise<APIGatewayProxyStructuredResultV2> => {
        events.push(event);
        if (event.rawPath === '/broken') throw new Error('handler bug');
        if (event.rawPath === '/binary') return { statusCode: 200, headers: { 'content-type': 'application/octet-stream' }, body: Buffer.from([1, 2, 3]).toString('base64'), isBase64Encoded: true };
        return { statusCode: 201, headers: { 'content-type': 'text/plain', 'x-answer': 42 }, body: 'hello' };
      },
      { onError: (error) => errors.push(error) },
    );
  });
  afterAll(() => api.close());
  beforeEach(() => events.splice(0));

  it('turns a request into a payload-2.0 event: lower-case headers, joined duplicate query parameters, base64 form body', async () => {
    const response = await fetch(`${api.url}/review?id=a&id=b&x=%20y`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded', 'X-Custom': 'yes' },
      body: 'decision=approve',
    });
    expect(response.status).toBe(201);
    expect(response.headers.get('x-answer')).toBe('42');
    await expect(response.text()).resolves.toBe('hello');
    const [event] = events;
    expect(event).toMatchObject({
      version: '2.0',
      routeKey: '$default',
      rawPath: '/review',
      rawQueryString: 'id=a&id=b&x=%20y',
      queryStringParameters: { id: 'a,b', x: ' y' },
      headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-custom': 'yes' },
      requestContext: { http: { method: 'POST', path: '/review' }, stage: '$default' },
      isBase64Encoded: true,
    });
    expect(Buffer.from(event.body as string, 'base64').toString()).toBe('decision=approve');
  });

  it('passes a text body as it is, and no query or body when there is none', async () => {
    await fetch(`${api.url}/json`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"a":1}' });
    await fetch(`${api.url}/plain`);
    expect(events[0]).toMatchObject({ body: '{"a":1}', isBase64Encoded: false });
    expect(events[1]).not.toHaveProperty('queryStringParameters');
    expect(events[1]).not.toHaveProperty('body');
  });

  it('decodes a base64 response and leaves the body off a HEAD response', async () => {
    const binary = await fetch(`${api.url}/binary`);
    expect([...new Uint8Array(await binary.arrayBuffer())]).toEqual([1, 2, 3]);
    const head = await fetch(`${api.url}/plain`, { method: 'HEAD' });
    expect(head.status).toBe(201);
    await expect(head.text()).resolves.toBe('');
  });

  it('answers 500 as API Gateway does when the handler throws', async () => {
    const response = await fetch(`${api.url}/broken`);
    expect(response.status).toBe(500);
    await expect(response.json()).resolves.toEqual({ message: 'Internal Server Error' });
    expect(errors).toEqual([new Error('handler bug')]);
  });
});
