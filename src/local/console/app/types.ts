/** The shapes the stand-in sends (../wire.ts, ../../traffic.ts), for the page. */
export type { ConsoleView, ThingView, RuleView, SinkRows, SinkRow, RuleCounters } from '../wire';
export type { SecondOfTraffic, ClientTraffic, Flow } from '../../traffic';
