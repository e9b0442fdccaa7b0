// The chapter-4 workflow in Debian's Chromium with JavaScript on (htmx boosted navigation, partial
// swaps). A file of its own so that it runs in parallel with the JavaScript-off run.
import { workflowTest } from './workflow.ts';

workflowTest(true);
