// How a signed-in user is kept in the session: the id and the account's session epoch. Changing the
// password or disabling the account bumps the epoch, which ends every other session at its next request.
// The local strategy checks e-mail and password; a missing account costs the same time as a wrong password.
import passport, { type PassportStatic } from 'passport';
import { Strategy as LocalStrategy } from 'passport-local';
import { User } from '../../models/user.ts';
import { verifyPassword } from './passwords.ts';

interface SessionUser {
  id: string;
  epoch: number;
}

let configured = false;

export function configurePassport(): PassportStatic {
  if (configured) return passport;
  configured = true;
  passport.use(
    new LocalStrategy({ usernameField: 'email', passwordField: 'password', session: false }, (email, password, done) => {
      // Plain strings only: the route validated them, and nothing else may reach the query.
      if (typeof email !== 'string' || typeof password !== 'string') {
        done(null, false);
        return;
      }
      User.findOne({ email: email.trim().toLowerCase() })
        .then(async (user) => {
          const ok = await verifyPassword(user?.passwordHash, password);
          if (!user || !ok || user.disabledAt) done(null, false);
          else done(null, user as Express.User);
        })
        .catch(done);
    }),
  );
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
