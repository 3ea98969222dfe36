import type { z } from 'zod';

/** An error answered as `{ error: { code, message, field? } }` with its status. */
export class FilesError extends Error {
  constructor(
    readonly status: 400 | 403 | 404 | 409 | 412 | 413 | 416 | 500,
    readonly code: string,
    message: string,
    readonly field?: string,
  ) {
    super(message);
  }
}

export function forbidden(message: string, field = 'query.path'): FilesError {
  return new FilesError(403, 'WEBCASA_FILES_FORBIDDEN', message, field);
}

/** Map a Node fs error to a panel error answer. */
export function fromFsError(error: unknown, field = 'query.path'): FilesError {
  if (error instanceof FilesError) return error;
  const code = (error as NodeJS.ErrnoException)?.code;
  switch (code) {
    case 'ENOENT':
      return new FilesError(404, 'WEBCASA_FILES_NOT_FOUND', 'no such file or folder', field);
    case 'EEXIST':
    case 'ENOTEMPTY':
      return new FilesError(409, 'WEBCASA_FILES_EXISTS', 'the target already exists', field);
    case 'ENOTDIR':
      return new FilesError(400, 'WEBCASA_FILES_NOT_A_FOLDER', 'not a folder', field);
    case 'EISDIR':
      return new FilesError(400, 'WEBCASA_FILES_IS_A_FOLDER', 'is a folder', field);
    case 'EACCES':
    case 'EPERM':
      return new FilesError(403, 'WEBCASA_FILES_DENIED', 'the operating system refused access', field);
    default:
      return new FilesError(500, 'WEBCASA_FILES_IO', `file operation failed (${code ?? 'error'})`, field);
  }
}

/** Validate with zod; the first issue becomes a 400 naming `<where>.<field>`. */
export function parse<T extends z.ZodType>(schema: T, data: unknown, where: 'query' | 'body'): z.infer<T> {
  const result = schema.safeParse(data);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  const path = issue?.path.length ? `${where}.${issue.path.join('.')}` : where;
  throw new FilesError(400, 'WEBCASA_BAD_REQUEST', `${path}: ${issue?.message ?? 'invalid'}`, path);
}
