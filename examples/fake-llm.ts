// A deterministic stand-in for an LLM: it answers like a model would, and gets some answers wrong
// on purpose (the same inputs always give the same answer), so the demo shows both verdicts.

export interface LoanQuote { text: string, principal: number, ratePercent: number, years: number, totalRepaid: string, calculation: string }
export interface Explanation { text: string, calculation: string }
export interface Invoice { text: string, items: Array<{ name: string, price: string }>, subtotal: string, tax: string, total: string, calculation: string }

/** Compound interest, yearly. Wrong (simple interest instead) when the term is 3 years or longer. */
export function quoteLoan (principal: number, ratePercent: number, years: number): LoanQuote {
  const rate = ratePercent / 100
  const total = years >= 3
    ? principal * (1 + rate * years) // the "hallucination": simple interest
    : principal * Math.pow(1 + rate, years)
  const totalRepaid = total.toFixed(2).replace(/\.?0+$/, '')
  return {
    text: `Borrowing ${principal} at ${ratePercent}% for ${years} years, you repay ${totalRepaid} in total.`,
    principal,
    ratePercent,
    years,
    totalRepaid,
    calculation: `${principal} * (1 + ${ratePercent}/100)^${years} = ${totalRepaid}`
  }
}

/** Explains a product of two numbers plus a third. Off by one when the first number is odd. */
export function explainArithmetic (a: number, b: number, c: number): Explanation {
  const result = a * b + c + (a % 2 === 1 ? 1 : 0)
  return {
    text: `First multiply ${a} by ${b}, then add ${c}: the answer is ${result}.`,
    calculation: `${a} * ${b} + ${c} = ${result}`
  }
}

/** Adds up an invoice with tax. Drops the cents of the tax when there are more than two items. */
export function totalInvoice (prices: string[], taxPercent: number): Invoice {
  const cents = prices.map((p) => Math.round(Number(p) * 100))
  const subtotal = cents.reduce((a, b) => a + b, 0)
  const tax = Math.round(subtotal * taxPercent / 100)
  const total = prices.length > 2 ? subtotal + Math.floor(tax / 100) * 100 : subtotal + tax
  const money = (c: number) => (c / 100).toFixed(2)
  return {
    text: `Your total is ${money(total)}.`,
    items: prices.map((price, i) => ({ name: `item ${i + 1}`, price })),
    subtotal: money(subtotal),
    tax: money(tax),
    total: money(total),
    calculation: `${money(subtotal)} + ${money(tax)} = ${money(total)}`
  }
}

export interface SupportAnswer { answer: string }

/** A support answer that repeats contact details and a card number it should not, and some markup. */
export function answerSupport (question: string): SupportAnswer {
  return {
    answer: `<p>About "${question.slice(0, 60)}": write to billing@example.com or call +1 415 555 0100. ` +
      'The card on file is 4111 1111 1111 1111.<script>track()</script></p>'
  }
}

/**
 * A chat answer in Markdown, as a model writes it: figures in prose, rounded to cents. Wrong (one
 * payment left out of the total) when the plan runs longer than two years.
 */
export function chatAnswer (payment: number, months: number, ratePercent: number): string {
  const paid = months > 24 ? payment * (months - 1) : payment * months
  const money = (n: number): string => n.toLocaleString('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 })
  const grown = (payment * Math.pow(1 + ratePercent / 100, months / 12)).toFixed(2)
  return [
    `**Your plan.** You pay ${months} × $${money(payment)} = $${money(paid)} in total.`,
    '',
    `Saved instead at ${ratePercent}% a year, one payment would grow to ${payment} * (1 + ${ratePercent}/100)^${months / 12} = ${grown}.`,
    ''
  ].join('\n')
}

/**
 * A chat answer streamed as OpenAI-style SSE chunks, a word at a time. The product is off by one
 * when the first number is odd.
 */
export async function * streamChat (a: number, b: number, c: number): AsyncGenerator<string> {
  const product = a * b + (a % 2 === 1 ? 1 : 0)
  const text = `Let me work it out.\nFirst ${a} * ${b} = ${product}.\nThen ${product} + ${c} = ${product + c}.\nHope this helps!\n`
  for (const token of text.match(/\S+\s*/g) ?? []) {
    yield `data: ${JSON.stringify({ object: 'chat.completion.chunk', choices: [{ index: 0, delta: { content: token } }] })}\n\n`
    await new Promise((resolve) => setImmediate(resolve))
  }
  yield 'data: [DONE]\n\n'
}
