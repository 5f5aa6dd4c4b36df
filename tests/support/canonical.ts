// SPEC's canonical example: the five adds, in the order SPEC lists them.
export const CANONICAL: [payer: string, points: number, timestamp: string][] = [
  ['DANNON', 300, '2022-10-31T10:00:00Z'],
  ['UNILEVER', 200, '2022-10-31T11:00:00Z'],
  ['DANNON', -200, '2022-10-31T15:00:00Z'],
  ['MILLER COORS', 10000, '2022-11-01T14:00:00Z'],
  ['DANNON', 1000, '2022-11-02T14:00:00Z'],
];
