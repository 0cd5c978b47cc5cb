// An error in a query's parameters, naming the parameter, so the server can answer a 400 for it.

/** A parameter the engine cannot accept: its name, the value given and what it accepts. */
export class ParameterError extends RangeError {
  readonly parameter: string;
  readonly value: unknown;
  readonly expected: string;

  constructor(parameter: string, value: unknown, expected: string) {
    super(`Invalid ${parameter} ${JSON.stringify(String(value))}: ${expected}`);
    this.name = "ParameterError";
    this.parameter = parameter;
    this.value = value;
    this.expected = expected;
  }
}
