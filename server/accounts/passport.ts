// How a signed-in user is kept in the session: the id and the account's session epoch. Changing the
// password or disabling the account bumps the epoch, which ends every other session at its next request.
import passport, { type PassportStatic } from 'passport';
import { User } from '../../models/user.ts';

interface SessionUser {
  id: string;
  epoch: number;
}

let configured = false;

export function configurePassport(): PassportStatic {
  if (configured) return passport;
  configured = true;
  passport.serializeUser((user, done) => {
    const u = user as Express.User;
    done(null, { id: String(u._id), epoch: u.sessionEpoch ?? 0 } satisfies SessionUser);
  });
  passport.deserializeUser((stored: unknown, done) => {
    const s = stored as Partial<SessionUser> | undefined;
    if (!s || typeof s.id !== 'string' || !/^[a-f0-9]{24}$/.test(s.id)) {
      done(null, false);
      return;
    }
    User.findById(s.id)
      .then((user) => {
        if (!user || user.disabledAt || (user.sessionEpoch ?? 0) !== s.epoch) done(null, false);
        else done(null, user as Express.User);
      })
      .catch(done);
  });
  return passport;
}
