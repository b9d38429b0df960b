// Command errors carry MongoDB's numeric codes and names, since drivers and ODMs branch on them.
export const CODES = {
  InternalError: 1,
  BadValue: 2,
  FailedToParse: 9,
  DataCorruptionDetected: 12,
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
  CannotCreateIndex: 67,
  JSInterpreterFailure: 139,
  NoQueryExecutionPlans: 291,
  NotImplemented: 238,
  // MongoDB's own code for a data disk with no room: writes refused, reads served (journal.ts).
  OutOfDiskSpace: 14031,
  // Assertion codes MongoDB reports as codeName 'Location<code>'
  Location31249: 31249,
  Location31253: 31253,
  Location31254: 31254,
  Location31255: 31255,
  Location31275: 31275,
  Location31276: 31276,
  Location31308: 31308,
  Location51246: 51246,
  Location6108304: 6108304,
  Location40218: 40218,
  Location40415: 40415,
  Location40414: 40414,
  Location15976: 15976,
} as const;

export type CodeName = keyof typeof CODES;

export class CommandError extends Error {
  readonly code: number;
  readonly codeName: string;
  readonly extra: Record<string, unknown>;
  constructor(codeName: CodeName, message: string, extra: Record<string, unknown> = {}) {
    super(message);
    this.code = CODES[codeName];
    this.codeName = codeName;
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
