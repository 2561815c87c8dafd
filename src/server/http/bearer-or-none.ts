/** A key when keys are configured, else none: the OpenAPI way of saying "optional auth". */
export const BEARER_OR_NONE: { [scheme: string]: string[] }[] = [{ bearerAuth: [] }, {}];
