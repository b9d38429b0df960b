// Cases stored before the queue's search words existed, or with words of an older format
// (SEARCH_TERMS_VERSION), or written around the model (bulk imports, the benchmark seed) get them once, after start, in batches; later writes keep them in step
// (models/case-search-hooks.ts). Runs in the background so start-up is not delayed by it.
import { Case } from '../../models/case.ts';
import { User } from '../../models/user.ts';
import { caseSearchTerms, SEARCH_TERMS_VERSION } from '../../models/case-search.ts';

// Missing words, or words of another format ($ne also matches a case without a version).
const STALE = { $or: [{ searchTerms: { $exists: false } }, { searchTermsVersion: { $ne: SEARCH_TERMS_VERSION } }] };

export async function backfillSearchTerms(batchSize = 1000): Promise<number> {
  let done = 0;
  for (;;) {
    const batch = await Case.find(STALE, { reference: 1, applicant: 1, 'profile.fullName': 1, 'profile.nationality': 1 })
      .limit(batchSize)
      .lean<Array<{ _id: unknown; reference: string; applicant: unknown; profile?: { fullName?: string; nationality?: string } }>>();
    if (batch.length === 0) return done;
    const users = await User.find({ _id: { $in: [...new Set(batch.map((c) => String(c.applicant)))] } }, { email: 1 }).lean();
    const email = new Map(users.map((u) => [String(u._id), u.email]));
    await Case.bulkWrite(
      batch.map((c) => ({
        updateOne: {
          filter: { _id: c._id, ...STALE },
          update: {
            $set: {
              searchTermsVersion: SEARCH_TERMS_VERSION,
              searchTerms: caseSearchTerms({ reference: c.reference, fullName: c.profile?.fullName, nationality: c.profile?.nationality, email: email.get(String(c.applicant)) }),
            },
          },
        },
      })),
      { ordered: false },
    );
    done += batch.length;
  }
}
