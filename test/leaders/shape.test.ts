// The layering of the documents, shortlist, dashboard and report features (issue 12): routes reach
// the database only through services and loaders, write no audit events and import no other route;
// the services under server/ never import Express or multer (type imports included).
import { readFile, readdir } from 'node:fs/promises';
import path from 'node:path';
import { expect } from 'chai';

const root = path.resolve(import.meta.dirname, '../..');
const ROUTES = ['documents', 'shortlists', 'dashboard', 'reports'].map((f) => `routes/${f}.ts`);
const SERVICES = ['documents', 'evaluations', 'dashboard', 'reports'].map((d) => `server/${d}`);

function importsOf(source: string): string[] {
  return [...source.matchAll(/^\s*(?:import|export)\b[^;]*?\bfrom\s+'([^']+)'/gms)].map((m) => m[1]!);
}

describe('leaders and documents: routes over services, services without Express', () => {
  it('routes import no model but the vocabularies, no mongoose, no other route, and write no audit event', async () => {
    for (const file of ROUTES) {
      const source = await readFile(path.join(root, file), 'utf8');
      const imports = importsOf(source);
      expect(imports, file).to.include('express');
      expect(imports.filter((i) => i === 'mongoose' || (i.startsWith('../models/') && i !== '../models/constants.ts')), file).to.deep.equal([]);
      expect(imports.filter((i) => i.startsWith('./')), file).to.deep.equal([]);
      expect(source, file).not.to.match(/recordAudit\s*\(/);
    }
  });

  it('services import neither express nor multer', async () => {
    let seen = 0;
    for (const dir of SERVICES) {
      const files = (await readdir(path.join(root, dir))).filter((f) => f.endsWith('.ts'));
      for (const f of files) {
        const imports = importsOf(await readFile(path.join(root, dir, f), 'utf8'));
        seen += imports.length;
        expect(imports.filter((i) => i === 'express' || i === 'multer' || i.startsWith('../http/')), `${dir}/${f}`).to.deep.equal([]);
      }
    }
    expect(seen, 'imports read').to.be.greaterThan(50);
  });
});
