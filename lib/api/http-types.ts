/** A transport-neutral HTTP request: the local server and the Lambda adapter both translate to and from these. */
export interface ApiRequest {
  method: string;
  /** Path without the query string, e.g. `/v1/images/scan`. */
  path: string;
  query: Record<string, string | undefined>;
  /** Header names in lower case. */
  headers: Record<string, string | undefined>;
  body?: string;
}

export interface ApiResponse {
  statusCode: number;
  headers: Record<string, string>;
  body: Buffer;
}
