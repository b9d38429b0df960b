// Argument checks shared by the commands: numbers, collection and database names.
import { CommandError } from '../errors.ts';
import { isNumeric, toNumber } from '../compare.ts';

export function asInt(v: unknown, name: string, dflt: number): number {
  if (v === undefined || v === null) return dflt;
  if (!isNumeric(v)) throw new CommandError('TypeMismatch', `${name} must be a number`);
  return Math.trunc(toNumber(v));
}

export function validName(name: unknown, what: string): string {
  if (typeof name !== 'string' || name.length === 0 || name.includes('\0') || name.startsWith('$') || name.length > 255) {
    throw new CommandError('InvalidNamespace', `Invalid ${what} name: ${String(name)}`);
  }
  return name;
}

export function validDbName(name: unknown): string {
  if (typeof name !== 'string' || name.length === 0 || /[/\\. "$*<>:|?\0]/.test(name) || name.length > 63) {
    throw new CommandError('InvalidNamespace', `Invalid database name: '${String(name)}'`);
  }
  return name;
}
