import type { ErrorCode } from '../../../schemas/error.js';

export interface FieldError {
  /** The JSON path in the caller's words, e.g. `input_data.parameters.temperature`. */
  field: string;
  message: string;
}

/** An error answer: thrown anywhere in a request, turned into the error envelope by the errors plugin. */
export class HttpError extends Error {
  override name = 'HttpError';

  constructor(
    readonly statusCode: number,
    readonly code: ErrorCode,
    message: string,
    readonly details?: FieldError[],
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }

  /** 400 for one field: the message reads `<field>: <reason>`. */
  static badField(field: string, message: string): HttpError {
    return HttpError.badFields([{ field, message }]);
  }

  /** 400 for these fields: the message reads `<field>: <reason>; ...`. */
  static badFields(details: FieldError[]): HttpError {
    const message = details.map((detail) => `${detail.field}: ${detail.message}`).join('; ');
    return new HttpError(400, 'BadRequest', message, details);
  }
}
