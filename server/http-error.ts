// An error that ends a request with its HTTP status and a sentence for the administrator: thrown by
// the access chain (401, 403, 429) and by routes (400, 404, 409, 428); Fastify's error handler
// (app.ts) answers with the status it carries.
export class HttpError extends Error {
  constructor(
    public statusCode: number,
    message: string,
  ) {
    super(message);
  }
}
