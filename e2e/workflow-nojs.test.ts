// The chapter-4 workflow in Debian's Chromium with JavaScript off (plain forms, POST then redirect).
// A file of its own so that it runs in parallel with the JavaScript-on run.
import { workflowTest } from './workflow.ts';

workflowTest(false);
