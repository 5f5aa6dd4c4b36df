// What the API answers, as SPEC "Routes", "Fields" and "Expiry and reversal" describe it.
export type Breakdown = { payer: string; points: number }[];

export type LedgerItem =
  | { id: string; type: 'add'; payer: string; points: number; timestamp: string; remaining?: number; expiresAt?: string }
  | { id: string; type: 'spend'; points: number; timestamp: string; breakdown: Breakdown; reversed?: number }
  | { id: string; type: 'expire'; payer: string; points: number; timestamp: string; lot: string }
  | { id: string; type: 'reversal'; spend: string; points: number; timestamp: string; breakdown: Breakdown };

export type LedgerPage = { items: LedgerItem[]; nextCursor: string | null };

export type Balance = Record<string, number>;

export type Problem = { title?: string; status: number; detail: string; code?: string; errors?: { path: string; message: string }[] };
