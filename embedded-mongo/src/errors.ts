// Command errors carry MongoDB's numeric codes and names, since drivers and ODMs branch on them.
export const CODES = {
  InternalError: 1,
  BadValue: 2,
  FailedToParse: 9,
  TypeMismatch: 14,
  IllegalOperation: 20,
  NamespaceNotFound: 26,
  IndexNotFound: 27,
  PathNotViable: 28,
  ConflictingUpdateOperators: 40,
  CursorNotFound: 43,
  NamespaceExists: 48,
  InvalidLength: 16,
  CommandNotFound: 59,
  ImmutableField: 66,
  InvalidOptions: 72,
  InvalidNamespace: 73,
  IndexOptionsConflict: 85,
  IndexKeySpecsConflict: 86,
  NotWritablePrimary: 10107,
  DuplicateKey: 11000,
  Location40352: 40352,
  Unauthorized: 13,
  OperationNotSupportedInTransaction: 263,
  BSONObjectTooLarge: 10334,
  ProtocolError: 17,
  NoSuchTransaction: 251,
  InvalidIdField: 53,
  UnknownError: 8,
} as const;

export type CodeName = keyof typeof CODES;

export class CommandError extends Error {
  readonly code: number;
  readonly codeName: string;
  readonly extra: Record<string, unknown>;
  constructor(codeName: CodeName, message: string, extra: Record<string, unknown> = {}) {
    super(message);
    this.code = CODES[codeName];
    this.codeName = codeName === 'Location40352' ? 'Location40352' : codeName;
    this.extra = extra;
  }
}

export function errorReply(err: unknown): Record<string, unknown> {
  if (err instanceof CommandError) {
    return { ok: 0, errmsg: err.message, code: err.code, codeName: err.codeName, ...err.extra };
  }
  const message = err instanceof Error ? err.message : String(err);
  // mingo reports unsupported/invalid operators as plain errors: those are the client's mistake.
  return { ok: 0, errmsg: message, code: CODES.BadValue, codeName: 'BadValue' };
}
