/**
 * The workflows' rules, fast: mocked activities on Temporal's time-skipping test server, no Codex, no model, no dev
 * server. One process, one test server and one worker for all the case files (each is a set of rules); run with
 * `npm run test:unit`.
 */
import { after } from 'node:test';
import { Harness } from './helpers/harness';
import './dag.cases';
import './gates-budgets.cases';
import './reviews-verify.cases';
import './hosts-cancel-approvals.cases';
import './conversations.cases';
import './fault-matrix.cases';
import './step-end.cases';

after(() => Harness.stopShared());
