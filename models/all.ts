// Every model, registered by importing this module: what the server syncs the indexes of at start
// (server/db/index.ts). A model only some page imports (saved filters) was otherwise registered in
// the primary only when it served the pages itself, and its unique index was never built when web
// processes served them (they build no index). test/db/indexes.test.ts checks the list is whole.
import './audit-event.ts';
import './call.ts';
import './case.ts';
import './counter.ts';
import './dashboard-figures.ts';
import './deadline-recount.ts';
import './document.ts';
import './email-template.ts';
import './evaluation.ts';
import './holiday.ts';
import './holiday-dismissal.ts';
import './institute.ts';
import './mail-log.ts';
import './mention.ts';
import './panel-conflict.ts';
import './saved-filter.ts';
import './token.ts';
import './user.ts';
