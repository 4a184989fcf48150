/** Every IR codec, for decoding IR nodes from JSON (`ir.Program.decode(json)`). */
export { Expr, Width, Hex, FieldRef, HeaderRef, MAX_WIDTH } from './expr.js';
export { HeaderType, HeaderInstance, HeaderField, BitField, VarbitField, MetaField } from './header.js';
export { Parser, ParserState, ParserOp, Transition, SelectCase, KeysetValue } from './parser.js';
export { Primitive, Action, ActionParam, Args } from './action.js';
export { Stage, Key, KeyMatch, Entry, ActionCall, DefaultAction } from './stage.js';
export { Control, ControlNode, Next } from './control.js';
export { Program, Register, Counter, Meter, Digest, Ancestor } from './program.js';
export { Policy, PolicyStep } from './policy.js';
