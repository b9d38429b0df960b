// The shape of one update operator: applied to one concrete path of the document being built.
import type { Doc } from './walker.ts';

export interface OperatorContext {
  /** The document as it was before this update (for error messages and the positional `$`). */
  original: Doc;
  now?: Date;
}

export type UpdateOperator = (doc: Doc, path: string, arg: unknown, ctx: OperatorContext) => void;
