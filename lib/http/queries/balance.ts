// The query of GET balance: `view=detail` asks for each payer's available, held and pending points.
import * as z from 'zod/mini';

export const balanceQuerySchema = z.object({
  view: z.optional(z.literal('detail')).check(z.meta({ description: '`detail`: each payer as {available, held, pending}.' })),
});
