/**
 * The derived-feature expression language: a small, closed grammar parsed to an AST and
 * evaluated by walking it. Nothing here reaches `eval`, `Function` or any host object, so a
 * feature definition can compute only arithmetic over the record's own numeric columns.
 *
 *   expression     := additive ( compare additive )?
 *   compare        := "<" | "<=" | ">" | ">=" | "==" | "!="
 *   additive       := multiplicative ( ("+" | "-") multiplicative )*
 *   multiplicative := unary ( ("*" | "/") unary )*
 *   unary          := "-" unary | primary
 *   primary        := number | column | function "(" expression ( "," expression )* ")" | "(" expression ")"
 *   function       := log | log1p | exp | sqrt | abs | min | max
 *
 * Types: arithmetic takes and gives numbers; a comparison gives a boolean and may only be the
 * whole expression (or a parenthesised operand of nothing). Nulls propagate: a null operand, a
 * division by zero or a result outside the real numbers (log of a negative, overflow) is null.
 */

export type CompareOp = '<' | '<=' | '>' | '>=' | '==' | '!=';
export type ArithmeticOp = '+' | '-' | '*' | '/';
export type FunctionName = 'log' | 'log1p' | 'exp' | 'sqrt' | 'abs' | 'min' | 'max';

export type Expr =
  | { readonly kind: 'number'; readonly value: number }
  | { readonly kind: 'column'; readonly name: string; readonly position: number }
  | { readonly kind: 'negate'; readonly operand: Expr }
  | { readonly kind: 'arithmetic'; readonly op: ArithmeticOp; readonly left: Expr; readonly right: Expr }
  | { readonly kind: 'compare'; readonly op: CompareOp; readonly left: Expr; readonly right: Expr; readonly position: number }
  | { readonly kind: 'call'; readonly fn: FunctionName; readonly args: readonly Expr[] };

export type ExpressionType = 'number' | 'boolean';

/** What a column is, as far as expressions care; undefined for a column that does not exist. */
export type ColumnKind = 'numeric' | 'non-numeric' | undefined;

export class ExpressionError extends Error {
  constructor(
    message: string,
    /** 0-based character offset in the source. */
    readonly position: number,
  ) {
    super(`${message} at position ${position + 1}`);
    this.name = 'ExpressionError';
  }
}

export const MAX_EXPRESSION_LENGTH = 1000;
// Deep nesting is the one way a short text could make the recursive parser expensive.
const MAX_DEPTH = 32;

const FUNCTIONS: Readonly<Record<FunctionName, { readonly minArgs: number; readonly maxArgs: number }>> = {
  log: { minArgs: 1, maxArgs: 1 },
  log1p: { minArgs: 1, maxArgs: 1 },
  exp: { minArgs: 1, maxArgs: 1 },
  sqrt: { minArgs: 1, maxArgs: 1 },
  abs: { minArgs: 1, maxArgs: 1 },
  min: { minArgs: 2, maxArgs: 16 },
  max: { minArgs: 2, maxArgs: 16 },
};

function isFunctionName(name: string): name is FunctionName {
  return Object.prototype.hasOwnProperty.call(FUNCTIONS, name);
}

type Token =
  | { kind: 'number'; value: number; position: number }
  | { kind: 'identifier'; name: string; position: number }
  | { kind: 'symbol'; symbol: string; position: number }
  | { kind: 'end'; position: number };

const NUMBER = /^(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?/;
const IDENTIFIER = /^[a-z][a-z0-9_]{0,62}/;
const SYMBOLS = ['<=', '>=', '==', '!=', '<', '>', '+', '-', '*', '/', '(', ')', ','];

function tokenize(source: string): Token[] {
  const tokens: Token[] = [];
  let pos = 0;
  while (pos < source.length) {
    const c = source[pos];
    if (c === ' ' || c === '\t' || c === '\n' || c === '\r') {
      pos++;
      continue;
    }
    const rest = source.slice(pos);
    const number = NUMBER.exec(rest);
    if (number) {
      const value = Number(number[0]);
      if (!Number.isFinite(value)) throw new ExpressionError(`number ${number[0]} is too large`, pos);
      tokens.push({ kind: 'number', value, position: pos });
      pos += number[0].length;
      continue;
    }
    const identifier = IDENTIFIER.exec(rest);
    if (identifier) {
      tokens.push({ kind: 'identifier', name: identifier[0], position: pos });
      pos += identifier[0].length;
      continue;
    }
    const symbol = SYMBOLS.find((s) => rest.startsWith(s));
    if (symbol) {
      tokens.push({ kind: 'symbol', symbol, position: pos });
      pos += symbol.length;
      continue;
    }
    throw new ExpressionError(`unexpected character ${JSON.stringify(c)}`, pos);
  }
  tokens.push({ kind: 'end', position: source.length });
  return tokens;
}

function describe(token: Token): string {
  switch (token.kind) {
    case 'number':
      return `number ${token.value}`;
    case 'identifier':
      return `"${token.name}"`;
    case 'symbol':
      return `"${token.symbol}"`;
    case 'end':
      return 'end of expression';
  }
}

class Parser {
  private index = 0;
  private depth = 0;

  constructor(private readonly tokens: Token[]) {}

  parse(): Expr {
    const expr = this.expression();
    const next = this.peek();
    if (next.kind !== 'end') throw new ExpressionError(`unexpected ${describe(next)}`, next.position);
    return expr;
  }

  private peek(): Token {
    return this.tokens[this.index];
  }

  private isSymbol(...symbols: string[]): boolean {
    const token = this.peek();
    return token.kind === 'symbol' && symbols.includes(token.symbol);
  }

  private expect(symbol: string): void {
    const token = this.peek();
    if (token.kind !== 'symbol' || token.symbol !== symbol) {
      throw new ExpressionError(`expected "${symbol}" but found ${describe(token)}`, token.position);
    }
    this.index++;
  }

  private nested<T>(position: number, parse: () => T): T {
    if (++this.depth > MAX_DEPTH) throw new ExpressionError(`nesting deeper than ${MAX_DEPTH} levels`, position);
    try {
      return parse();
    } finally {
      this.depth--;
    }
  }

  private expression(): Expr {
    const left = this.additive();
    if (!this.isSymbol('<', '<=', '>', '>=', '==', '!=')) return left;
    const token = this.tokens[this.index++] as Extract<Token, { kind: 'symbol' }>;
    const right = this.additive();
    if (this.isSymbol('<', '<=', '>', '>=', '==', '!=')) {
      throw new ExpressionError('comparisons cannot be chained', this.peek().position);
    }
    return { kind: 'compare', op: token.symbol as CompareOp, left, right, position: token.position };
  }

  private additive(): Expr {
    let left = this.multiplicative();
    while (this.isSymbol('+', '-')) {
      const op = (this.tokens[this.index++] as Extract<Token, { kind: 'symbol' }>).symbol as ArithmeticOp;
      left = { kind: 'arithmetic', op, left, right: this.multiplicative() };
    }
    return left;
  }

  private multiplicative(): Expr {
    let left = this.unary();
    while (this.isSymbol('*', '/')) {
      const op = (this.tokens[this.index++] as Extract<Token, { kind: 'symbol' }>).symbol as ArithmeticOp;
      left = { kind: 'arithmetic', op, left, right: this.unary() };
    }
    return left;
  }

  private unary(): Expr {
    const token = this.peek();
    if (this.isSymbol('-')) {
      this.index++;
      return this.nested(token.position, () => ({ kind: 'negate', operand: this.unary() }));
    }
    return this.primary();
  }

  private primary(): Expr {
    const token = this.peek();
    switch (token.kind) {
      case 'number':
        this.index++;
        return { kind: 'number', value: token.value };
      case 'identifier': {
        this.index++;
        if (!this.isSymbol('(')) return { kind: 'column', name: token.name, position: token.position };
        if (!isFunctionName(token.name)) {
          throw new ExpressionError(`unknown function "${token.name}" (allowed: ${Object.keys(FUNCTIONS).join(', ')})`, token.position);
        }
        return this.nested(token.position, () => this.call(token.name as FunctionName, token.position));
      }
      case 'symbol':
        if (token.symbol === '(') {
          this.index++;
          const inner = this.nested(token.position, () => this.expression());
          this.expect(')');
          return inner;
        }
        throw new ExpressionError(`unexpected ${describe(token)}`, token.position);
      case 'end':
        throw new ExpressionError('unexpected end of expression', token.position);
    }
  }

  private call(fn: FunctionName, position: number): Expr {
    this.expect('(');
    const args = [this.expression()];
    while (this.isSymbol(',')) {
      this.index++;
      args.push(this.expression());
    }
    this.expect(')');
    const { minArgs, maxArgs } = FUNCTIONS[fn];
    if (args.length < minArgs || args.length > maxArgs) {
      const wanted = minArgs === maxArgs ? `${minArgs}` : `${minArgs} to ${maxArgs}`;
      throw new ExpressionError(`${fn} takes ${wanted} argument${maxArgs === 1 ? '' : 's'}, got ${args.length}`, position);
    }
    return { kind: 'call', fn, args };
  }
}

/** Parses an expression; throws ExpressionError saying what and where. */
export function parseExpression(source: string): Expr {
  if (source.length > MAX_EXPRESSION_LENGTH) {
    throw new ExpressionError(`longer than ${MAX_EXPRESSION_LENGTH} characters`, MAX_EXPRESSION_LENGTH);
  }
  if (source.trim() === '') throw new ExpressionError('is empty', 0);
  return new Parser(tokenize(source)).parse();
}

/**
 * Checks an expression against the dataset's columns and returns its type: every column must
 * exist and be numeric, and a boolean (a comparison) must not feed arithmetic or a function.
 */
export function typeOfExpression(expr: Expr, columnKind: (name: string) => ColumnKind): ExpressionType {
  const numeric = (operand: Expr, what: string): void => {
    if (typeOfExpression(operand, columnKind) !== 'number') {
      throw new ExpressionError(`${what} needs a number, not a comparison`, positionOf(operand));
    }
  };
  switch (expr.kind) {
    case 'number':
      return 'number';
    case 'column': {
      const kind = columnKind(expr.name);
      if (kind === undefined) throw new ExpressionError(`unknown column "${expr.name}"`, expr.position);
      if (kind !== 'numeric') throw new ExpressionError(`column "${expr.name}" is not numeric`, expr.position);
      return 'number';
    }
    case 'negate':
      numeric(expr.operand, 'negation');
      return 'number';
    case 'arithmetic':
      numeric(expr.left, `"${expr.op}"`);
      numeric(expr.right, `"${expr.op}"`);
      return 'number';
    case 'compare':
      numeric(expr.left, `"${expr.op}"`);
      numeric(expr.right, `"${expr.op}"`);
      return 'boolean';
    case 'call':
      for (const arg of expr.args) numeric(arg, expr.fn);
      return 'number';
  }
}

function positionOf(expr: Expr): number {
  switch (expr.kind) {
    case 'column':
    case 'compare':
      return expr.position;
    case 'negate':
      return positionOf(expr.operand);
    case 'arithmetic':
      return positionOf(expr.left);
    case 'call':
      return positionOf(expr.args[0]);
    case 'number':
      return 0;
  }
}

/** Columns an expression reads, in first-use order. */
export function referencedColumns(expr: Expr): string[] {
  const names = new Set<string>();
  const visit = (node: Expr): void => {
    switch (node.kind) {
      case 'column':
        names.add(node.name);
        return;
      case 'negate':
        return visit(node.operand);
      case 'arithmetic':
      case 'compare':
        visit(node.left);
        return visit(node.right);
      case 'call':
        return node.args.forEach(visit);
      case 'number':
        return;
    }
  };
  visit(expr);
  return [...names];
}

const finite = (value: number): number | null => (Number.isFinite(value) ? value : null);

/** Evaluates a type-checked expression on one record; `column` gives a numeric column's value or null. */
export function evaluateExpression(expr: Expr, column: (name: string) => number | null): number | boolean | null {
  const number = (node: Expr): number | null => {
    const value = evaluateExpression(node, column);
    return typeof value === 'number' ? value : null;
  };
  switch (expr.kind) {
    case 'number':
      return expr.value;
    case 'column': {
      const value = column(expr.name);
      return value === null || !Number.isFinite(value) ? null : value;
    }
    case 'negate': {
      const value = number(expr.operand);
      return value === null ? null : -value;
    }
    case 'arithmetic': {
      const left = number(expr.left);
      const right = number(expr.right);
      if (left === null || right === null) return null;
      switch (expr.op) {
        case '+':
          return finite(left + right);
        case '-':
          return finite(left - right);
        case '*':
          return finite(left * right);
        case '/':
          return right === 0 ? null : finite(left / right);
      }
      return null;
    }
    case 'compare': {
      const left = number(expr.left);
      const right = number(expr.right);
      if (left === null || right === null) return null;
      switch (expr.op) {
        case '<':
          return left < right;
        case '<=':
          return left <= right;
        case '>':
          return left > right;
        case '>=':
          return left >= right;
        case '==':
          return left === right;
        case '!=':
          return left !== right;
      }
      return null;
    }
    case 'call': {
      const args = expr.args.map(number);
      if (args.some((a) => a === null)) return null;
      const values = args as number[];
      const x = values[0];
      switch (expr.fn) {
        case 'log':
          return x > 0 ? Math.log(x) : null;
        case 'log1p':
          return x > -1 ? Math.log1p(x) : null;
        case 'exp':
          return finite(Math.exp(x));
        case 'sqrt':
          return x >= 0 ? Math.sqrt(x) : null;
        case 'abs':
          return Math.abs(x);
        case 'min':
          return Math.min(...values);
        case 'max':
          return Math.max(...values);
      }
      return null;
    }
  }
}
