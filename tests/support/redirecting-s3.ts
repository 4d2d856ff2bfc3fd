import { once } from 'node:events';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

/** Local server that responds to every request as S3 does for a bucket in another region. */
export interface RedirectingS3 {
  endpoint: string;
  close(): Promise<void>;
}

/**
 * Starts a server on 127.0.0.1 that replies 301 PermanentRedirect, with the `x-amz-bucket-region`
 * header and the `Endpoint` element that S3 sends when a request reaches a regional endpoint
 * other than the bucket's. A HEAD reply has the header and no body, as on S3.
 */
export async function startRedirectingS3(bucketRegion: string): Promise<RedirectingS3> {
  const server = createServer((request, response) => {
    const bucket = (request.url ?? '/').split(/[/?]/)[1] ?? '';
    response.writeHead(301, {
      'content-type': 'application/xml',
      'x-amz-bucket-region': bucketRegion,
    });
    if (request.method === 'HEAD') {
      response.end();
      return;
    }
    response.end(
      '<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>PermanentRedirect</Code>' +
        '<Message>The bucket you are attempting to access must be addressed using the specified ' +
        'endpoint. Please send all future requests to this endpoint.</Message>' +
        `<Endpoint>${bucket}.s3.${bucketRegion}.amazonaws.com</Endpoint>` +
        `<Bucket>${bucket}</Bucket><RequestId>0000000000000000</RequestId>` +
        '<HostId>cratebox-test</HostId></Error>',
    );
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    async close() {
      server.close();
      await once(server, 'close');
    },
  };
}
