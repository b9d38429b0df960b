// How a signed-in user is kept in the session: the id and the account's session epoch. Changing the
// password or disabling the account bumps the epoch, which ends every other session at its next
// request. The password itself is checked by the accounts service (server/accounts/sign-in.ts);
// passport only carries the result in the session (req.login, req.user).
import passport, { type PassportStatic } from 'passport';
import { sessionUser } from '../accounts/sign-in.ts';

interface StoredSessionUser {
  id: string;
  epoch: number;
}

let configured = false;

export function configurePassport(): PassportStatic {
  if (configured) return passport;
  configured = true;
  passport.serializeUser((user, done) => {
    const u = user as Express.User;
    done(null, { id: String(u._id), epoch: u.sessionEpoch ?? 0 } satisfies StoredSessionUser);
  });
  passport.deserializeUser((stored: unknown, done) => {
    const s = stored as Partial<StoredSessionUser> | undefined;
    if (!s || typeof s.id !== 'string' || typeof s.epoch !== 'number') {
      done(null, false);
      return;
    }
    sessionUser({ userId: s.id, epoch: s.epoch })
      .then((user) => done(null, user ? (user as Express.User) : false))
      .catch(done);
  });
  return passport;
}
