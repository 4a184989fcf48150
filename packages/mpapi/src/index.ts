/**
 * @mpvisor/mpapi — write network functions as typed builders and compile
 * them to a versioned, validated, canonical IR.
 */

// the DSL
export { program, programFromIR, ProgramBuilder, sequentialControl, type AnyProgramBuilder, type Placement, type Patch } from './builder/program-builder.js';
export { policy, PolicyBuilder } from './builder/policy-builder.js';
export { StageBuilder, NO_ACTION, DEFAULT_STAGE_SIZE, type EntrySpec, type KeySpec, type ParamSpec, type ParamWidths, type ArgsFor } from './builder/stage-builder.js';
export { ActionBuilder, type Assignable, type DigestValues } from './builder/action-builder.js';
export { ControlBuilder, type ApplyBranches } from './builder/control-builder.js';
export { ParserBuilder, StateBuilder, type KeysetInput, type SelectCaseInput, type StateEnd } from './builder/parser-builder.js';
export { BitExpr, BoolExpr, ExprScope, constant, TRUE, FALSE, type Dyn, type Literal, type Operand, type AnyBitExpr } from './builder/expression.js';
export type * from './builder/schema.js';
export { bit, varbit, header, stack, type Bit, type Varbit, type HeaderDef, type StackDef, type FieldSpec } from './headers/header-type.js';
export * as std from './headers/std.js';

// the IR
export * as ir from './ir/nodes.js';
export type { Program, Register, Counter, Meter, Digest, Ancestor } from './ir/program.js';
export type { Policy, PolicyStep } from './ir/policy.js';
export type { Stage, Key, KeyMatch, Entry, ActionCall, DefaultAction, MatchKind, CounterUnit, MeterUnit } from './ir/stage.js';
export type { Action, ActionParam, Primitive, PrimitiveKind, Args, HashAlgorithm } from './ir/action.js';
export type { Control, ControlNode, Next, NodeTarget } from './ir/control.js';
export type { Parser, ParserState, ParserOp, Transition, SelectCase, KeysetValue, ParserErrorName } from './ir/parser.js';
export type { HeaderType, HeaderField, HeaderInstance, MetaField } from './ir/header.js';
export type { Expr, UnaryOp, BinaryOp } from './ir/expr.js';
export { IR_VERSION, type IrVersion } from './ir/version.js';
export { PARSER_ERRORS } from './ir/parser.js';
export { STANDARD_METADATA, PARSER_ERROR_CODES, type StandardFieldName } from './ir/standard-metadata.js';
export { canonicalJson, digestOf } from './ir/canonical.js';
export { decodeProgram, decodePolicy, decodeIR, parseIR, orThrow, issuesOf, type Decoded } from './ir/decode.js';

// checking
export { validateProgram } from './validate/program-rules.js';
export { validatePolicy } from './validate/policy-rules.js';
export { checkEntry, checkActionCall, checkKeyMatch, needsPriority } from './validate/entry-rules.js';
export { Scope, fixedWidth, type ResolvedField, type ResolvedHeader } from './validate/scope.js';
export { typeOf, showType, type ExprType } from './validate/expr-type.js';
export { findCycle, reachable, topologicalOrder, successors } from './validate/control-graph.js';
export { mapExpr, mapPrimitiveExprs } from './ir/transform.js';

// values
export { parseValue, valueOf, toHex, fromHex, fits, ones, prefixMask, type ValueInput } from './values/value.js';
export { toKeyMatch, toKeyMatches, toArgs, type MatchInput, type MatchInputFor, type KeyMatchesFault } from './values/match.js';

export { MpvisorError, formatIssue, type ErrorCode, type Issue, type FaultLocation } from './errors.js';
