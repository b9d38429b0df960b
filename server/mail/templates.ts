// The e-mail templates as administrators see them: which events have one (every folder under
// views/emails that holds the six files, read from the disk, so a feature adding a folder adds an
// editable template), the built-in text, the variables each uses, sample data, the check an edit
// must pass, and the current edited version of each (cached; the dispatcher asks for it per e-mail).
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, existsSync } from 'node:fs';
import path from 'node:path';
import Handlebars from 'handlebars';
import { viewsDir, helpers } from '../views/engine.ts';
import { LOCALES, type Locale } from '../i18n/index.ts';
import { EmailTemplate } from '../../models/email-template.ts';

export const PARTS = ['subject', 'text', 'html'] as const;
export type Part = (typeof PARTS)[number];
export type TemplateParts = Record<Part, string>;

export const TEMPLATE_NAME = /^[a-z0-9_-]{1,60}$/;
export const emailsDir = path.join(viewsDir, 'emails');

/** Handlebars' own block helpers, plus the app's helpers: nothing else may be called. */
export const KNOWN_HELPERS: Record<string, boolean> = Object.fromEntries(
  ['if', 'unless', 'each', 'with', 'lookup', ...Object.keys(helpers)].map((h) => [h, true]),
);

/** Every template folder with its six files (both languages × subject, text, html), sorted. */
export function listTemplateNames(): string[] {
  let entries: string[] = [];
  try {
    entries = readdirSync(emailsDir, { withFileTypes: true })
      .filter((d) => d.isDirectory() && TEMPLATE_NAME.test(d.name))
      .map((d) => d.name);
  } catch {
    return [];
  }
  return entries.filter((name) => LOCALES.every((l) => PARTS.every((p) => existsSync(path.join(emailsDir, name, `${l}.${p}.hbs`))))).sort();
}

export function isTemplateName(name: unknown): name is string {
  return typeof name === 'string' && TEMPLATE_NAME.test(name) && listTemplateNames().includes(name);
}

/** The built-in text of a template in a language (the files shipped with the app). */
export function builtinParts(template: string, locale: Locale): TemplateParts {
  if (!TEMPLATE_NAME.test(template)) throw new Error(`bad e-mail template name: ${template}`);
  const read = (p: Part) => readFileSync(path.join(emailsDir, template, `${locale}.${p}.hbs`), 'utf8');
  return { subject: read('subject'), text: read('text'), html: read('html') };
}

const hashes = new Map<string, string>();

/**
 * What identifies a built-in template's text (all three parts): stored with an edit (its `base`),
 * so that an edit made before a release changed the built-in one can be told apart. The files do
 * not change while the app runs, so once per template and language.
 */
export function builtinHash(template: string, locale: Locale): string {
  const key = `${template}:${locale}`;
  let hash = hashes.get(key);
  if (!hash) {
    const p = builtinParts(template, locale);
    hash = createHash('sha256').update(JSON.stringify([p.subject, p.text, p.html])).digest('hex');
    hashes.set(key, hash);
  }
  return hash;
}

// --- Variables -----------------------------------------------------------------------------

/** A variable a template uses: a value, or a list whose items have fields. */
export interface Variable {
  name: string;
  list: boolean;
  fields: string[];
}

type Node = { type: string; [k: string]: unknown };

function collect(node: Node | undefined, scope: Map<string, Set<string> | null>, item: Set<string> | null): void {
  if (!node || typeof node !== 'object') return;
  const addPath = (p: Node) => {
    if (p.type !== 'PathExpression' || p.data) return;
    const parts = p.parts as string[];
    const depth = Number(p.depth ?? 0);
    if (!parts.length) return; // {{this}}
    if (item && depth === 0) item.add(parts[0]!);
    else if (!scope.has(parts[0]!)) scope.set(parts[0]!, null);
  };
  const walkExpr = (e: Node | undefined) => {
    if (!e) return;
    if (e.type === 'PathExpression') addPath(e);
    else if (e.type === 'SubExpression') {
      for (const p of (e.params as Node[]) ?? []) walkExpr(p);
      for (const pair of ((e.hash as Node | undefined)?.pairs as Node[]) ?? []) walkExpr(pair.value as Node);
    }
  };
  switch (node.type) {
    case 'Program':
      for (const s of node.body as Node[]) collect(s, scope, item);
      return;
    case 'MustacheStatement': {
      const params = (node.params as Node[]) ?? [];
      const pathNode = node.path as Node;
      const isHelper = pathNode.type === 'PathExpression' && KNOWN_HELPERS[(pathNode.parts as string[])[0] ?? ''] && (params.length > 0 || Object.hasOwn(helpers, pathNode.original as string));
      if (!isHelper) walkExpr(pathNode);
      for (const p of params) walkExpr(p);
      for (const pair of ((node.hash as Node | undefined)?.pairs as Node[]) ?? []) walkExpr(pair.value as Node);
      return;
    }
    case 'BlockStatement': {
      const helper = ((node.path as Node).parts as string[])[0];
      const params = (node.params as Node[]) ?? [];
      if ((helper === 'each' || helper === 'with') && params[0]?.type === 'PathExpression' && !params[0].data) {
        const p = params[0];
        const name = (p.parts as string[])[0];
        if (name && !item) {
          const fields = (scope.get(name) as Set<string> | null | undefined) ?? new Set<string>();
          scope.set(name, fields);
          collect(node.program as Node, scope, fields);
          collect(node.inverse as Node, scope, item);
          return;
        }
      }
      for (const p of params) walkExpr(p);
      collect(node.program as Node, scope, item);
      collect(node.inverse as Node, scope, item);
      return;
    }
    default:
      return;
  }
}

const variablesCache = new Map<string, Variable[]>();

/** The variables the built-in template of an event uses (in either language), for the editor and the sample data. */
export function templateVariables(template: string): Variable[] {
  const hit = variablesCache.get(template);
  if (hit) return hit;
  const scope = new Map<string, Set<string> | null>();
  for (const l of LOCALES) {
    const parts = builtinParts(template, l);
    for (const p of PARTS) {
      try {
        collect(Handlebars.parse(parts[p]) as unknown as Node, scope, null);
      } catch {
        // a built-in that does not parse shows no variables; the check reports it when edited
      }
    }
  }
  scope.delete('locale');
  const out = [...scope.entries()]
    .map(([name, fields]) => ({ name, list: fields !== null, fields: fields ? [...fields].sort() : [] }))
    .sort((a, b) => a.name.localeCompare(b.name));
  out.push({ name: 'locale', list: false, fields: [] });
  variablesCache.set(template, out);
  return out;
}

/** The variables a template's text uses at the top level (not a list item's fields). */
export function usedVariables(source: string): Set<string> {
  const scope = new Map<string, Set<string> | null>();
  try {
    collect(Handlebars.parse(source) as unknown as Node, scope, null);
  } catch {
    // unreadable: the check reports it
  }
  return new Set(scope.keys());
}

/**
 * What an e-mail must tell its reader, by event: an edit leaving one of these out of its text or its
 * HTML part (each is the whole e-mail for some readers) is said on the editor. Mostly a date the
 * applicant must act by; each is one the built-in template uses (test/email-templates checks it).
 */
export const ESSENTIAL_VARIABLES: Readonly<Record<string, readonly string[]>> = {
  // The answer-by date, and that no answer is due while HR prepares the terms (server/workflow/index.ts).
  offer_made: ['dueAt', 'termsPending'],
  offer_letter_ready: ['dueAt'],
  // By when a rejected document must be replaced.
  document_rejected: ['dueOn'],
  // The stage's new due date after a hold.
  // ... and a procedure overdue with the authority or the institute, with its working days (walk s35 #3).
  resumed: ['dueLine', 'proceduresLate'],
  // What is asked and by when.
  info_requested: ['items', 'dueAt'],
  info_extended: ['dueAt'],
  procedure_ask: ['dueOn'],
  // HR moved the planned start of work: the new day, and the procedures' dates that moved with it.
  planned_start_moved: ['plannedStart', 'procedures'],
  // The procedures still under way at the arrival, the residence card's target moved to it (walk33 #6).
  arrived: ['procedures'],
  // A request for information paused with the case: its answer-by date and the working days left;
  // a file already lodged with an authority, still decided on its legal clock (walk s35).
  on_hold: ['requestPaused', 'filedContinue'],
  // The date the passport must still be valid on.
  document_too_short: ['requiredUntil'],
};

/** An edit's parts (text and HTML) that leave out a variable the event's e-mail must carry. */
export function missingEssentials(template: string, parts: TemplateParts): TemplateProblem[] {
  const essential = Object.hasOwn(ESSENTIAL_VARIABLES, template) ? ESSENTIAL_VARIABLES[template]! : [];
  const problems: TemplateProblem[] = [];
  for (const part of ['text', 'html'] as const) {
    const used = usedVariables(parts[part]);
    for (const name of essential) if (!used.has(name)) problems.push({ part, reason: `essential:${name}` });
  }
  return problems;
}

const SAMPLES: Record<string, unknown> = {
  name: 'Nguyễn Thị Lan',
  you: 'Ông/Bà',
  applicantName: 'Nguyễn Thị Lan',
  reference: 'TA-2026-000123',
  callTitle: { vi: 'Chuyên gia vật liệu', en: 'Materials expert' },
  instituteName: 'Institute of Materials Science',
  inviterName: 'Trần Văn Minh',
  roleName: 'HR officer',
  oldRoleName: 'Institute leader',
  oldInstituteName: 'Institute of Physics',
  changedByName: 'Trần Văn Minh',
  decidedByName: 'Trần Văn Minh',
  recordedBy: 'Trần Văn Minh',
  contactName: 'Trần Văn Minh',
  contactEmail: 'admin@talent.example',
  reason: 'The position has been filled.',
  toldReason: 'The selection panel has chosen candidates whose research is closer to the position.',
  reviewBy: '15 Jan 2027',
  reviewLeft: '10 working days left',
  documentType: 'passport',
  fileName: 'passport.pdf',
  hours: 24,
  minutes: 60,
  days: 7,
  workingDaysLeft: 3,
  workingDaysLate: 2,
  panelsLeft: 2,
  stage: 'screening',
  kind: 'work_permit',
  status: 'requested',
  // Days named "…On"/"…Until" (a document's expiry, the date a passport must reach): real dates,
  // so a preview shows them.
  expiresOn: new Date('2027-06-30T03:00:00Z'),
  requiredUntil: new Date('2028-10-31T03:00:00Z'),
  // A procedure with its own deadline (offer_accepted): one that waits for another shows no date.
  waits: '',
  // An offer made with its terms and letter attached (offer_made): the answer-by date shows.
  termsPending: false,
  // The call's checklist has a place for the signed offer (offer_made, offer_letter_ready).
  signedCopyUpload: true,
  // An accepted offer whose day replaced the applicant's planned start (offer_accepted).
  plannedStart: new Date('2027-04-01T00:00:00Z'),
  plannedStartWas: new Date('2027-03-01T00:00:00Z'),
  startFromOffer: true,
  // What HR wrote for the applicant with a move of the planned start (planned_start_moved).
  hrMessage: 'We have agreed the later start you asked for; the work permit will be filed in March.',
  // A message's first words (message_received, applicant_message).
  excerpt: 'Could you tell me when the selection panel meets?',
  // How many messages a digest of them lists (applicant_message_digest), or cases an overdue digest does.
  count: 2,
  // The institute's HR office as a rejection names it (document_rejected).
  contactHr: 'Questions about this decision? Ask the HR office: 18 Hoang Quoc Viet, Hanoi · hr@ims.example.vn.',
  // A request said done without its paper uploaded (procedure_ask_replied).
  notUploaded: 'Passport',
  // Sent to the HR office because no officer has the case (info_answered, procedure_ask_replied, applicant_message, applicant_message_digest, offer_answered).
  unassigned: true,
  // ... and to the administrators because the institute has no HR lead (server/institutes/hr-staff.ts).
  toAdmins: false,
};

/** Sample data with every variable present, used to check an edit (and to preview without a case). */
export function sampleData(template: string, appUrl = 'https://talent.example'): Record<string, unknown> {
  const data: Record<string, unknown> = {};
  const value = (name: string): unknown => {
    if (name in SAMPLES) return SAMPLES[name];
    if (/link|url/i.test(name)) return `${appUrl}/applications/000000000000000000000000`;
    if (/At$|date/i.test(name)) return new Date('2026-03-16T03:00:00Z');
    if (/^(is|has)[A-Z]|existing/.test(name)) return true;
    return `[${name}]`;
  };
  for (const v of templateVariables(template)) {
    if (v.name === 'locale') continue;
    data[v.name] = v.list ? [v.fields.length ? Object.fromEntries(v.fields.map((f) => [f, value(f)])) : value(v.name)] : value(v.name);
  }
  return data;
}

// --- Checking an edit ------------------------------------------------------------------------

export interface TemplateProblem {
  part: Part;
  line?: number;
  reason: string;
}

/** The line of a Handlebars error: "… - 3:11" (compile and runtime) or "Parse error on line 3:". */
function lineOf(err: unknown): number | undefined {
  const e = err as { lineNumber?: number; message?: string };
  if (typeof e?.lineNumber === 'number') return e.lineNumber;
  const m = /on line (\d+)/.exec(String(e?.message ?? '')) ?? / - (\d+):\d+\s*$/.exec(String(e?.message ?? ''));
  return m ? Number(m[1]) : undefined;
}

function reasonOf(err: unknown): string {
  const msg = String((err as Error)?.message ?? err)
    .replace(/\s+-\s+\d+:\d+\s*$/, '')
    .replace(/^Parse error on line \d+:\s*/, '');
  return msg.split('\n').filter(Boolean).pop()!.slice(0, 300);
}

/**
 * What a parse error means for the person editing, as a code the page words in its language
 * (server/email-templates/present.ts): the parser's own text ("Expecting 'OPEN_INVERSE_CHAIN',
 * …, got 'EOF'") names the end of the file, not the block left open.
 */
function parseProblem(part: Part, source: string, err: unknown): TemplateProblem {
  const message = String((err as Error)?.message ?? err);
  const mismatch = /(\S+) doesn't match (\S+)/.exec(message);
  if (mismatch) return { part, line: lineOf(err), reason: `mismatched:${mismatch[1]}:${mismatch[2]}` };
  if (/got 'EOF'/.test(message)) {
    const open = unclosedBlock(source);
    if (open) return { part, line: open.line, reason: `unclosed:${open.name}` };
  }
  return { part, line: lineOf(err), reason: 'unreadable' };
}

/** The innermost block ({{#if}}, {{#each}}…) left open at the end of the source, with its line. */
function unclosedBlock(source: string): { name: string; line: number } | undefined {
  const open: Array<{ name: string; line: number }> = [];
  const tag = /\{\{~?\s*([#/])\s*([A-Za-z_][\w-]*)/g;
  for (let m = tag.exec(source); m; m = tag.exec(source)) {
    const line = source.slice(0, m.index).split('\n').length;
    if (m[1] === '#') open.push({ name: m[2]!, line });
    else if (open.length && open[open.length - 1]!.name === m[2]) open.pop();
  }
  return open.pop();
}

/** Nodes that would reach outside the data: partials (files) and decorators. */
function forbiddenNode(node: Node | undefined): { line?: number; what: string } | undefined {
  if (!node || typeof node !== 'object') return undefined;
  const loc = (node.loc as { start?: { line?: number } } | undefined)?.start?.line;
  if (node.type === 'PartialStatement' || node.type === 'PartialBlockStatement') return { line: loc, what: 'partials' };
  if (node.type === 'Decorator' || node.type === 'DecoratorBlock') return { line: loc, what: 'decorators' };
  for (const key of ['body', 'program', 'inverse']) {
    const child = node[key];
    if (Array.isArray(child)) {
      for (const c of child) {
        const f = forbiddenNode(c as Node);
        if (f) return f;
      }
    } else if (child && typeof child === 'object') {
      const f = forbiddenNode(child as Node);
      if (f) return f;
    }
  }
  return undefined;
}

export const LIMITS: Record<Part, number> = { subject: 300, text: 50_000, html: 50_000 };

const checker = Handlebars.create();
for (const [name, fn] of Object.entries(helpers)) checker.registerHelper(name, fn as Handlebars.HelperDelegate);
checker.unregisterHelper('log');
checker.unregisterHelper('helperMissing');
checker.unregisterHelper('blockHelperMissing');

/**
 * Is this edit usable? It must parse, call only the known helpers, use no partial or decorator,
 * and render in strict mode against data holding every variable of the event (a misspelt variable
 * is refused rather than sent as an empty gap). Problems carry the part, the line and the reason.
 */
export function checkTemplate(template: string, locale: Locale, parts: TemplateParts, data = sampleData(template)): TemplateProblem[] {
  const problems: TemplateProblem[] = [];
  for (const part of PARTS) {
    const source = parts[part];
    if (!source.trim()) {
      problems.push({ part, reason: 'empty' });
      continue;
    }
    if (source.length > LIMITS[part]) {
      problems.push({ part, reason: `tooLong:${LIMITS[part]}` });
      continue;
    }
    let ast: Node;
    try {
      ast = Handlebars.parse(source) as unknown as Node;
    } catch (err) {
      problems.push(parseProblem(part, source, err));
      continue;
    }
    const bad = forbiddenNode(ast);
    if (bad) {
      problems.push({ part, line: bad.line, reason: bad.what });
      continue;
    }
    try {
      const fn = checker.compile(source, { strict: true, noEscape: part !== 'html', knownHelpers: KNOWN_HELPERS, knownHelpersOnly: true });
      fn({ ...data, locale });
    } catch (err) {
      problems.push({ part, line: lineOf(err), reason: reasonOf(err) });
    }
  }
  return problems;
}

// --- The current edited versions (cached) ----------------------------------------------------

export interface Override extends TemplateParts {
  version: number;
}

/** How long this process trusts its copy; a save in this process clears it at once. */
const OVERRIDES_TTL_MS = 10_000;
let overrides: { at: number; map: Map<string, Override>; loading?: Promise<Map<string, Override>> } | undefined;

async function loadOverrides(): Promise<Map<string, Override>> {
  // The collection is small (administrators' saves); the newest version of each template and
  // language wins. One query per TTL, never one per e-mail.
  const rows = await EmailTemplate.find({}, { template: 1, locale: 1, version: 1, kind: 1, subject: 1, text: 1, html: 1 }).sort({ template: 1, locale: 1, version: -1 }).lean();
  const map = new Map<string, Override>();
  const seen = new Set<string>();
  for (const r of rows) {
    const k = `${r.template}:${r.locale}`;
    if (seen.has(k)) continue;
    seen.add(k);
    if (r.kind !== 'builtin') map.set(k, { version: r.version, subject: r.subject ?? '', text: r.text ?? '', html: r.html ?? '' });
  }
  return map;
}

/** The edited version in use for a template and language, or undefined for the built-in files. */
export async function currentOverride(template: string, locale: Locale): Promise<Override | undefined> {
  const now = Date.now();
  if (!overrides || now - overrides.at > OVERRIDES_TTL_MS) {
    if (!overrides?.loading) {
      const loading = loadOverrides();
      overrides = { at: overrides?.at ?? 0, map: overrides?.map ?? new Map(), loading };
      try {
        const map = await loading;
        overrides = { at: Date.now(), map };
      } catch (err) {
        overrides = { at: overrides?.at ?? 0, map: overrides?.map ?? new Map() };
        throw err;
      }
    } else {
      await overrides.loading;
    }
  }
  return overrides!.map.get(`${template}:${locale}`);
}

/** After a save or a revert: the next e-mail reads the collection again. */
export function invalidateOverrides(): void {
  overrides = undefined;
}

/** A given version (the mail log renders a message with the version it was sent with). */
export async function versionParts(template: string, locale: Locale, version: number): Promise<Override | undefined> {
  if (!version) return undefined;
  const row = await EmailTemplate.findOne({ template, locale, version }).lean();
  if (!row || row.kind === 'builtin') return undefined;
  return { version: row.version, subject: row.subject ?? '', text: row.text ?? '', html: row.html ?? '' };
}
