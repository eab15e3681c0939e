/** Types of examples/shift-dates.mjs for the tests that use it. */
export declare const EXAMPLE_NOW: Date;
export declare function shiftMinutes(now: Date): number;
export declare function shiftClientFile(xml: string, minutes: number): string;
export declare function shiftLdif(ldif: string, minutes: number): string;
export declare function exampleNotification(now: Date): {
  alerts: {
    labels: Record<string, string>;
    annotations: Record<string, string>;
    startsAt: string;
    endsAt: string;
  }[];
  [key: string]: unknown;
};
export declare function writeExampleData(target: string, now: Date): { backupRoot: string; ldif: string };
