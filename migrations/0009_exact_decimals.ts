import { type Kysely, sql } from 'kysely'

// Decimals are stored exactly as sent. The columns were numeric(14,2) and numeric(12,3), while the
// ingestion rule allows 12 digits before and 4 after the point: PostgreSQL rounded the rest
// away (price 1234.5678 became 1234.57, 0.0001 became 0.00). Unconstrained numeric keeps a value
// with the scale it was sent with ("1.50" reads back "1.50", a quantity "1" reads back "1"), and a
// check constraint states the same limit as the rule, so nothing outside it can be stored either.

const decimalColumns = [
  { table: 'products', column: 'price', was: 'numeric(14, 2)' },
  { table: 'transactions', column: 'total_amount', was: 'numeric(14, 2)' },
  { table: 'transaction_items', column: 'quantity', was: 'numeric(12, 3)' },
  { table: 'transaction_items', column: 'unit_price', was: 'numeric(14, 2)' },
  { table: 'transaction_items', column: 'amount', was: 'numeric(14, 2)' },
]

const constraintName = (table: string, column: string) => `${table}_${column}_decimal_limit`

export async function up(db: Kysely<any>): Promise<void> {
  for (const { table, column } of decimalColumns) {
    await db.schema
      .alterTable(table)
      .alterColumn(column, (c) => c.setDataType('numeric'))
      .execute()
    await db.schema
      .alterTable(table)
      .addCheckConstraint(
        constraintName(table, column),
        sql`scale(${sql.ref(column)}) <= 4 and abs(${sql.ref(column)}) < 1000000000000`,
      )
      .execute()
  }
}

// Going back rounds stored values to the old scales, as the old columns did.
export async function down(db: Kysely<any>): Promise<void> {
  for (const { table, column, was } of decimalColumns) {
    await db.schema.alterTable(table).dropConstraint(constraintName(table, column)).execute()
    await db.schema
      .alterTable(table)
      .alterColumn(column, (c) => c.setDataType(sql.raw(was)))
      .execute()
  }
}
