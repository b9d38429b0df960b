// The one test of "an id as typed in a URL or a form, or as stored": an ObjectId, or a string of
// 24 hexadecimal digits. The code had 23 copies of the pattern (some case-blind, some not) and a
// dozen ObjectId.isValid calls, which also take any 12-byte buffer or ObjectId-like object.
import { Types } from 'mongoose';

export const ID_TEXT = /^[0-9a-fA-F]{24}$/;

/** True for a string of 24 hexadecimal digits, whatever else arrived (arrays, objects, `$` keys: false). */
export const isIdText = (value: unknown): value is string => typeof value === 'string' && ID_TEXT.test(value);

/** True for an ObjectId or its 24-hex string (a caller may hold either). */
export const isId = (value: unknown): value is string | Types.ObjectId => value instanceof Types.ObjectId || isIdText(value);
