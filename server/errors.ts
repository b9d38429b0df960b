// Typed errors with a stable code and HTTP status; server/http/error-handler.ts maps them to a
// response in one place. `messageKey` is an i18n key so the page speaks the user's language.
export type FieldErrors = Record<string, string>;

export class AppError extends Error {
  readonly status: number = 500;
  readonly code: string = 'internal_error';
  constructor(
    readonly messageKey: string = 'errors.internal',
    readonly params: Record<string, unknown> = {},
  ) {
    super(messageKey);
    this.name = new.target.name;
  }
}

export class ValidationError extends AppError {
  override readonly status = 422;
  override readonly code = 'validation_failed';
  constructor(
    readonly fields: FieldErrors,
    messageKey = 'errors.validation',
  ) {
    super(messageKey);
  }
}

export class BadRequestError extends AppError {
  override readonly status = 400;
  override readonly code = 'bad_request';
}

export class AuthenticationRequiredError extends AppError {
  override readonly status = 401;
  override readonly code = 'authentication_required';
  constructor() {
    super('errors.signInRequired');
  }
}

export class ForbiddenError extends AppError {
  override readonly status = 403;
  override readonly code = 'forbidden';
  constructor(messageKey = 'errors.forbidden', params: Record<string, unknown> = {}) {
    super(messageKey, params);
  }
}

export class CsrfError extends AppError {
  override readonly status = 403;
  override readonly code = 'csrf_failed';
  constructor() {
    super('errors.csrf');
  }
}

export class NotFoundError extends AppError {
  override readonly status = 404;
  override readonly code = 'not_found';
  constructor(messageKey = 'errors.notFound', params: Record<string, unknown> = {}) {
    super(messageKey, params);
  }
}

/** Someone else changed the record first (stale form, double submit, concurrent officer). */
export class ConflictError extends AppError {
  override readonly status = 409;
  override readonly code = 'conflict';
  constructor(messageKey = 'errors.conflict', params: Record<string, unknown> = {}) {
    super(messageKey, params);
  }
}

export class PayloadTooLargeError extends AppError {
  override readonly status = 413;
  override readonly code = 'payload_too_large';
}

export class UnsupportedMediaTypeError extends AppError {
  override readonly status = 415;
  override readonly code = 'unsupported_media_type';
}

export class RateLimitedError extends AppError {
  override readonly status = 429;
  override readonly code = 'rate_limited';
  constructor(
    readonly retryAfterSeconds: number,
    messageKey = 'errors.rateLimited',
  ) {
    const minutes = Math.max(1, Math.ceil(retryAfterSeconds / 60));
    // `count` picks the English plural ("1 minute", "2 minutes").
    super(messageKey, { minutes, count: minutes });
  }
}

export class ServiceUnavailableError extends AppError {
  override readonly status = 503;
  override readonly code = 'service_unavailable';
}
