// csrf-sync 4 ships types but no "types" condition in its exports map, so NodeNext resolution
// can't find them. (A tsconfig "paths" entry would also redirect tsx at run time to the .d.ts.)
declare module 'csrf-sync' {
  import type { Request, Response, NextFunction } from 'express';
  export interface CsrfSyncOptions {
    ignoredMethods?: string[];
    getTokenFromRequest?: (req: Request) => string | undefined;
    getTokenFromState?: (req: Request) => string | undefined;
    storeTokenInState?: (req: Request, token: string) => void;
    size?: number;
  }
  export interface CsrfSync {
    generateToken(req: Request, overwrite?: boolean): string;
    isRequestValid(req: Request): boolean;
    revokeToken(req: Request): void;
    csrfSynchronisedProtection(req: Request, res: Response, next: NextFunction): void;
    invalidCsrfTokenError: Error;
  }
  export function csrfSync(options?: CsrfSyncOptions): CsrfSync;
}
