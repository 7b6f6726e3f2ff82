/** Field name -> Chinese message. "_form" is a message about the whole form. */
export type FieldErrors = Record<string, string>;

export type Failure = { ok: false; status: 400 | 403 | 404 | 409 | 410 | 422 | 429; errors: FieldErrors };
export type Result<T> = { ok: true; value: T } | Failure;

export const ok = <T>(value: T): Result<T> => ({ ok: true, value });
export const fail = (errors: FieldErrors, status: Failure["status"] = 422): Failure => ({ ok: false, status, errors });
