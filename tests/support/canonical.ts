// SPEC "The canonical example": the five adds, in order, and the answers that follow.
export const CANONICAL_ADDS = [
  { payer: 'DANNON', points: 300, timestamp: '2022-10-31T10:00:00Z' },
  { payer: 'UNILEVER', points: 200, timestamp: '2022-10-31T11:00:00Z' },
  { payer: 'DANNON', points: -200, timestamp: '2022-10-31T15:00:00Z' },
  { payer: 'MILLER COORS', points: 10000, timestamp: '2022-11-01T14:00:00Z' },
  { payer: 'DANNON', points: 1000, timestamp: '2022-11-02T14:00:00Z' },
];
export const CANONICAL_SPEND = 5000;
/** The answers byte for byte: the order of entries and keys is part of them. */
export const SPEND_ANSWER = '[{"payer":"DANNON","points":-100},{"payer":"UNILEVER","points":-200},{"payer":"MILLER COORS","points":-4700}]';
export const BALANCE_ANSWER = '{"DANNON":1000,"UNILEVER":0,"MILLER COORS":5300}';
/** The same adds as [payer, points, timestamp]. */
export const CANONICAL: [payer: string, points: number, timestamp: string][] = CANONICAL_ADDS.map(({ payer, points, timestamp }) => [payer, points, timestamp]);
