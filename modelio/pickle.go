package modelio

import (
	"encoding/binary"
	"fmt"
	"math"
	"math/big"
	"strconv"
	"strings"
	"unicode/utf8"
)

// This file is a pickle virtual machine that builds data, never behaviour:
// Python's containers and scalars become the Go values below, the few
// callables torch.save needs are interpreted by name (see reduce), and every
// other class becomes a pyObject that records what it was given and does
// nothing. Protocols 0 to 5 are read, except the extension registry (EXT*)
// and out-of-band buffers (NEXT_BUFFER).
//
// Values on the machine's stack:
//
//	None       nil
//	bool       bool
//	int        int64, or *big.Int when it does not fit
//	float      float64
//	str        string
//	bytes      []byte
//	tuple      pyTuple
//	list       *pyList
//	dict       *pyDict (OrderedDict too)
//	set        *pySet
//	global     *pyGlobal (a module.name reference, not resolved)
//	instance   *pyObject (opaque), or what the persistent-load and reduce
//	           hooks return (torch: *torchStorage, *torchTensor)

type pyTuple []any

type pyList struct{ items []any }

type pySet struct{ items []any }

// pyDict is an insertion-ordered dict. Keys of the hashable scalar types
// (str, int, bool, float, None) are indexed and, as in Python, assigning an
// equal key again replaces the value and keeps the first key (True == 1 ==
// 1.0); other keys (tuples, …) are appended.
type pyDict struct {
	keys, vals []any
	index      map[any]int
}

func (d *pyDict) set(k, v any) {
	if h, ok := hashKey(k); ok {
		if i, ok := d.index[h]; ok {
			d.vals[i] = v
			return
		}
		if d.index == nil {
			d.index = make(map[any]int)
		}
		d.index[h] = len(d.keys)
	}
	d.keys = append(d.keys, k)
	d.vals = append(d.vals, v)
}

// hashKey maps a scalar key to a Go map key that is equal exactly when the
// Python values are: bools and integral floats become int64.
func hashKey(k any) (any, bool) {
	switch k := k.(type) {
	case string, int64, nil:
		return k, true
	case bool:
		if k {
			return int64(1), true
		}
		return int64(0), true
	case float64:
		if k == math.Trunc(k) && math.Abs(k) < 1<<63 {
			return int64(k), true
		}
		return k, true
	}
	return nil, false
}

func (d *pyDict) get(k string) (any, bool) {
	i, ok := d.index[k]
	if !ok {
		return nil, false
	}
	return d.vals[i], true
}

type pyGlobal struct{ module, name string }

func (g *pyGlobal) String() string { return g.module + "." + g.name }

// pyObject is an instance of a class the machine does not know. It absorbs
// REDUCE, NEWOBJ, BUILD, SETITEM(S), APPEND(S) and ADDITEMS, keeping only a
// count of what it was given, and is never looked into.
type pyObject struct {
	class   any // usually *pyGlobal
	args    any
	state   any
	nstored int
}

func (o *pyObject) className() string {
	if g, ok := o.class.(*pyGlobal); ok {
		return g.String()
	}
	return "an unknown class"
}

// Limits that bound the work and memory a hostile pickle can cause. Every
// opcode allocates at most a small constant amount besides the bytes it
// carries (which are bounded by the input), so capping opcodes caps memory.
const (
	maxPickleOps   = 8 << 20 // about 50 per tensor in torch files
	maxPickleMarks = 1 << 16 // nesting depth of MARKs
	maxLongText    = 4096    // digits in a protocol-0 LONG
)

// unpickler runs one pickle.
type unpickler struct {
	data  []byte
	pos   int
	stack []any
	marks []int
	memo  map[uint64]any
	ops   int

	opStart int // offset of the opcode being run, for errors

	// persistentLoad resolves a persistent id (PERSID, BINPERSID).
	persistentLoad func(pid any) (any, error)
	// reduce implements a call of a known global (REDUCE, NEWOBJ, INST,
	// OBJ). It returns handled=false for globals it does not know, which
	// then become pyObjects.
	reduce func(g *pyGlobal, args pyTuple) (v any, handled bool, err error)
}

// Opcodes, as in CPython's Lib/pickle.py.
const (
	opMark           = '('
	opStop           = '.'
	opPop            = '0'
	opPopMark        = '1'
	opDup            = '2'
	opFloat          = 'F'
	opInt            = 'I'
	opBinInt         = 'J'
	opBinInt1        = 'K'
	opLong           = 'L'
	opBinInt2        = 'M'
	opNone           = 'N'
	opPersID         = 'P'
	opBinPersID      = 'Q'
	opReduce         = 'R'
	opString         = 'S'
	opBinString      = 'T'
	opShortBinString = 'U'
	opUnicode        = 'V'
	opBinUnicode     = 'X'
	opAppend         = 'a'
	opBuild          = 'b'
	opGlobal         = 'c'
	opDict           = 'd'
	opEmptyDict      = '}'
	opAppends        = 'e'
	opGet            = 'g'
	opBinGet         = 'h'
	opInst           = 'i'
	opLongBinGet     = 'j'
	opList           = 'l'
	opEmptyList      = ']'
	opObj            = 'o'
	opPut            = 'p'
	opBinPut         = 'q'
	opLongBinPut     = 'r'
	opSetItem        = 's'
	opTuple          = 't'
	opEmptyTuple     = ')'
	opSetItems       = 'u'
	opBinFloat       = 'G'

	opProto    = 0x80
	opNewObj   = 0x81
	opExt1     = 0x82
	opExt2     = 0x83
	opExt4     = 0x84
	opTuple1   = 0x85
	opTuple2   = 0x86
	opTuple3   = 0x87
	opNewTrue  = 0x88
	opNewFalse = 0x89
	opLong1    = 0x8a
	opLong4    = 0x8b

	opBinBytes      = 'B'
	opShortBinBytes = 'C'

	opShortBinUnicode = 0x8c
	opBinUnicode8     = 0x8d
	opBinBytes8       = 0x8e
	opEmptySet        = 0x8f
	opAddItems        = 0x90
	opFrozenSet       = 0x91
	opNewObjEx        = 0x92
	opStackGlobal     = 0x93
	opMemoize         = 0x94
	opFrame           = 0x95

	opByteArray8     = 0x96
	opNextBuffer     = 0x97
	opReadOnlyBuffer = 0x98
)

// run executes the pickle and returns the value left by STOP.
func (u *unpickler) run() (any, error) {
	u.memo = make(map[uint64]any)
	for {
		if u.pos >= len(u.data) {
			return nil, formatErr("pickle: ends at byte %d without STOP", len(u.data))
		}
		if u.ops++; u.ops > maxPickleOps {
			return nil, unsupported("pickle: more than %d opcodes", maxPickleOps)
		}
		u.opStart = u.pos
		op := u.data[u.pos]
		u.pos++
		done, err := u.step(op)
		if err != nil {
			return nil, err
		}
		if done {
			return u.pop()
		}
	}
}

func opName(op byte) string {
	if op >= 0x20 && op < 0x7f {
		return strconv.QuoteRune(rune(op))
	}
	return "0x" + strconv.FormatUint(uint64(op), 16)
}

// step executes one opcode and reports whether it was STOP.
func (u *unpickler) step(op byte) (stop bool, err error) {
	if v, ok, err := u.literal(op); ok {
		if err != nil {
			return false, err
		}
		u.push(v)
		return false, nil
	}
	switch op {
	case opStop:
		if len(u.stack) == 0 {
			return false, u.errf("stack is empty")
		}
		return true, nil
	case opProto:
		v, err := u.byte1()
		if err != nil {
			return false, err
		}
		if v > 5 {
			return false, unsupported("pickle: protocol %d", v)
		}
		return false, nil
	case opFrame:
		n, err := u.uint(8)
		if err == nil && n > uint64(len(u.data)-u.pos) {
			err = u.errf("frame of %d bytes, only %d left", n, len(u.data)-u.pos)
		}
		return false, err
	case opNextBuffer:
		return false, unsupported("pickle: out-of-band buffers (NEXT_BUFFER)")
	case opExt1, opExt2, opExt4:
		return false, unsupported("pickle: extension registry codes (EXT%d)", map[byte]int{opExt1: 1, opExt2: 2, opExt4: 4}[op])
	}
	return false, u.operate(op)
}

// literal runs the opcodes that push one new value read from the pickle
// itself: constants, numbers, strings, empty containers and globals. ok is
// false for other opcodes.
func (u *unpickler) literal(op byte) (v any, ok bool, err error) {
	switch op {
	case opNone:
		return nil, true, nil
	case opNewTrue:
		return true, true, nil
	case opNewFalse:
		return false, true, nil
	case opBinInt:
		n, err := u.uint(4)
		return int64(int32(uint32(n))), true, err
	case opBinInt1:
		n, err := u.uint(1)
		return int64(n), true, err
	case opBinInt2:
		n, err := u.uint(2)
		return int64(n), true, err
	case opLong1, opLong4:
		width := 1
		if op == opLong4 {
			width = 4
		}
		n, err := u.uint(width)
		if err != nil {
			return nil, true, err
		}
		if op == opLong4 && int32(n) < 0 {
			return nil, true, u.errf("negative length %d", int32(n))
		}
		b, err := u.bytes(n)
		if err != nil {
			return nil, true, err
		}
		return decodeLong(b), true, nil
	case opBinFloat:
		b, err := u.bytes(8)
		if err != nil {
			return nil, true, err
		}
		return math.Float64frombits(binary.BigEndian.Uint64(b)), true, nil
	case opShortBinUnicode, opBinUnicode, opBinUnicode8, opShortBinString, opBinString:
		b, err := u.counted(op)
		return string(b), true, err
	case opShortBinBytes, opBinBytes, opBinBytes8, opByteArray8:
		b, err := u.counted(op)
		return b, true, err
	case opEmptyTuple:
		return pyTuple{}, true, nil
	case opEmptyList:
		return &pyList{}, true, nil
	case opEmptyDict:
		return &pyDict{}, true, nil
	case opEmptySet:
		return &pySet{}, true, nil
	case opInt, opLong, opFloat, opString, opUnicode, opGlobal:
		v, err := u.textLiteral(op)
		return v, true, err
	}
	return nil, false, nil
}

// textLiteral runs the protocol 0 opcodes whose arguments are lines of text.
func (u *unpickler) textLiteral(op byte) (any, error) {
	line, err := u.line()
	if err != nil {
		return nil, err
	}
	switch op {
	case opInt:
		switch line {
		case "00":
			return false, nil
		case "01":
			return true, nil
		}
		return parseIntText(line)
	case opLong:
		return parseIntText(strings.TrimSuffix(line, "L"))
	case opFloat:
		v, err := strconv.ParseFloat(line, 64)
		if err != nil {
			return nil, u.errf("bad float %q", line)
		}
		return v, nil
	case opString:
		return unquotePy2(line)
	case opUnicode:
		return decodeRawUnicodeEscape(line), nil
	default: // opGlobal: module and name on two lines
		name, err := u.line()
		if err != nil {
			return nil, err
		}
		return &pyGlobal{module: line, name: name}, nil
	}
}

// operate runs the opcodes that work on values already on the stack.
func (u *unpickler) operate(op byte) error {
	switch op {
	case opMark:
		if len(u.marks) >= maxPickleMarks {
			return unsupported("pickle: MARKs nested more than %d deep", maxPickleMarks)
		}
		u.marks = append(u.marks, len(u.stack))
	case opPop:
		if len(u.stack) > 0 && (len(u.marks) == 0 || u.marks[len(u.marks)-1] < len(u.stack)) {
			u.stack = u.stack[:len(u.stack)-1]
			return nil
		}
		_, err := u.popMark()
		return err
	case opPopMark:
		_, err := u.popMark()
		return err
	case opDup, opReadOnlyBuffer:
		v, err := u.top()
		if err == nil && op == opDup {
			u.push(v)
		}
		return err

	case opTuple1, opTuple2, opTuple3:
		n := int(op-opTuple1) + 1
		items, err := u.popN(n)
		if err == nil {
			u.push(pyTuple(items))
		}
		return err
	case opTuple, opList, opDict, opFrozenSet:
		items, err := u.popMark()
		if err != nil {
			return err
		}
		switch op {
		case opTuple:
			u.push(pyTuple(items))
		case opList:
			u.push(&pyList{items: items})
		case opFrozenSet:
			u.push(&pySet{items: items})
		default:
			d := &pyDict{}
			if err := u.setItems(d, items); err != nil {
				return err
			}
			u.push(d)
		}

	case opAppend, opSetItem:
		n := 1
		if op == opSetItem {
			n = 2
		}
		items, err := u.popN(n)
		if err != nil {
			return err
		}
		return u.addItems(op, items)
	case opAppends, opSetItems, opAddItems:
		items, err := u.popMark()
		if err != nil {
			return err
		}
		return u.addItems(op, items)

	case opStackGlobal:
		mn, err := u.popN(2)
		if err != nil {
			return err
		}
		module, ok1 := mn[0].(string)
		name, ok2 := mn[1].(string)
		if !ok1 || !ok2 {
			return u.errf("module and name are %s and %s, not strings", typeName(mn[0]), typeName(mn[1]))
		}
		u.push(&pyGlobal{module: module, name: name})
	case opReduce, opNewObj, opNewObjEx:
		n := 2 // callable, args
		if op == opNewObjEx {
			n = 3 // cls, args, kwargs
		}
		ca, err := u.popN(n)
		if err != nil {
			return err
		}
		args, ok := ca[1].(pyTuple)
		if !ok {
			return u.errf("arguments are %s, not a tuple", typeName(ca[1]))
		}
		return u.callPush(ca[0], args)
	case opInst:
		g, err := u.textLiteral(opGlobal)
		if err != nil {
			return err
		}
		items, err := u.popMark()
		if err != nil {
			return err
		}
		return u.callPush(g, pyTuple(items))
	case opObj:
		items, err := u.popMark()
		if err != nil {
			return err
		}
		if len(items) == 0 {
			return u.errf("no class")
		}
		return u.callPush(items[0], pyTuple(items[1:]))
	case opBuild:
		state, err := u.popN(1)
		if err != nil {
			return err
		}
		obj, err := u.top()
		if err != nil {
			return err
		}
		// Only opaque objects keep their state. Dicts (an OrderedDict's
		// _metadata attribute) and tensors ignore it: nothing modelio
		// reads lives there.
		if o, ok := obj.(*pyObject); ok {
			o.state = state[0]
		}

	case opPersID, opBinPersID:
		var pid any
		if op == opPersID {
			line, err := u.line()
			if err != nil {
				return err
			}
			pid = line
		} else {
			v, err := u.popN(1)
			if err != nil {
				return err
			}
			pid = v[0]
		}
		if u.persistentLoad == nil {
			return unsupported("pickle: persistent id without a loader")
		}
		v, err := u.persistentLoad(pid)
		if err != nil {
			return err
		}
		u.push(v)

	case opGet, opBinGet, opLongBinGet:
		idx, err := u.memoIndex(op)
		if err != nil {
			return err
		}
		v, ok := u.memo[idx]
		if !ok {
			return u.errf("memo entry %d is not set", idx)
		}
		u.push(v)
	case opPut, opBinPut, opLongBinPut, opMemoize:
		idx := uint64(len(u.memo))
		if op != opMemoize {
			var err error
			if idx, err = u.memoIndex(op); err != nil {
				return err
			}
		}
		v, err := u.top()
		if err != nil {
			return err
		}
		u.memo[idx] = v
	default:
		return u.errf("unknown opcode")
	}
	return nil
}

// addItems runs APPEND(S), SETITEM(S) and ADDITEMS: items go into the
// container on top of the stack.
func (u *unpickler) addItems(op byte, items []any) error {
	target, err := u.top()
	if err != nil {
		return err
	}
	switch op {
	case opAppend, opAppends:
		switch l := target.(type) {
		case *pyList:
			l.items = append(l.items, items...)
		case *pyObject:
			l.nstored += len(items)
		default:
			return u.errf("APPEND to %s", typeName(target))
		}
		return nil
	case opAddItems:
		switch s := target.(type) {
		case *pySet:
			s.items = append(s.items, items...)
		case *pyObject:
			s.nstored += len(items)
		default:
			return u.errf("ADDITEMS to %s", typeName(target))
		}
		return nil
	}
	return u.setItems(target, items)
}

// callPush calls callable with args (see call) and pushes the result.
func (u *unpickler) callPush(callable any, args pyTuple) error {
	v, err := u.call(callable, args)
	if err == nil {
		u.push(v)
	}
	return err
}

// call applies a callable (a class or function global) to args without
// running anything: known globals go to the reduce hook, OrderedDict and
// dict make a dict, anything else an opaque object.
func (u *unpickler) call(callable any, args pyTuple) (any, error) {
	g, ok := callable.(*pyGlobal)
	if !ok {
		return &pyObject{class: callable, args: args}, nil
	}
	if u.reduce != nil {
		v, handled, err := u.reduce(g, args)
		if err != nil || handled {
			return v, err
		}
	}
	switch g.String() {
	case "collections.OrderedDict", "builtins.dict", "__builtin__.dict":
		d := &pyDict{}
		// OrderedDict([(k, v), ...]): torch never pickles it so, but it
		// costs nothing to honour.
		if len(args) == 1 {
			if l, ok := args[0].(*pyList); ok {
				for _, kv := range l.items {
					if p, ok := kv.(pyTuple); ok && len(p) == 2 {
						d.set(p[0], p[1])
					}
				}
			}
		}
		return d, nil
	}
	return &pyObject{class: g, args: args}, nil
}

// setItems stores key, value pairs kv into a dict (or absorbs them into an
// opaque object).
func (u *unpickler) setItems(target any, kv []any) error {
	if len(kv)%2 != 0 {
		return u.errf("odd number of items (%d)", len(kv))
	}
	switch d := target.(type) {
	case *pyDict:
		for i := 0; i < len(kv); i += 2 {
			d.set(kv[i], kv[i+1])
		}
	case *pyObject:
		d.nstored += len(kv) / 2
	default:
		return u.errf("SETITEM on %s", typeName(target))
	}
	return nil
}

func (u *unpickler) push(v any) { u.stack = append(u.stack, v) }

func (u *unpickler) pop() (any, error) {
	v, err := u.popN(1)
	if err != nil {
		return nil, err
	}
	return v[0], nil
}

// popN removes and returns the top n values (above the innermost MARK), in
// stack order. The slice is new: it does not alias the stack.
func (u *unpickler) popN(n int) ([]any, error) {
	if err := u.need(n); err != nil {
		return nil, err
	}
	m := len(u.stack) - n
	items := make([]any, n)
	copy(items, u.stack[m:])
	clear(u.stack[m:])
	u.stack = u.stack[:m]
	return items, nil
}

func (u *unpickler) top() (any, error) {
	if err := u.need(1); err != nil {
		return nil, err
	}
	return u.stack[len(u.stack)-1], nil
}

// need checks that n values sit above the innermost MARK.
func (u *unpickler) need(n int) error {
	base := 0
	if len(u.marks) > 0 {
		base = u.marks[len(u.marks)-1]
	}
	if len(u.stack)-base < n {
		return u.errf("stack underflow")
	}
	return nil
}

// popMark removes and returns the values above the innermost MARK.
func (u *unpickler) popMark() ([]any, error) {
	if len(u.marks) == 0 {
		return nil, u.errf("no MARK")
	}
	m := u.marks[len(u.marks)-1]
	u.marks = u.marks[:len(u.marks)-1]
	return u.popN(len(u.stack) - m)
}

// errf reports malformed input at the current opcode.
func (u *unpickler) errf(format string, args ...any) error {
	op := byte(0)
	if u.opStart < len(u.data) {
		op = u.data[u.opStart]
	}
	return formatErr("pickle: opcode %s at byte %d: %s", opName(op), u.opStart, fmt.Sprintf(format, args...))
}

func (u *unpickler) byte1() (byte, error) {
	if u.pos >= len(u.data) {
		return 0, u.errf("truncated")
	}
	u.pos++
	return u.data[u.pos-1], nil
}

// bytes returns the next n bytes of the pickle (shared, not copied).
func (u *unpickler) bytes(n uint64) ([]byte, error) {
	if n > uint64(len(u.data)-u.pos) {
		return nil, u.errf("%d bytes wanted, %d left", n, len(u.data)-u.pos)
	}
	b := u.data[u.pos : u.pos+int(n)]
	u.pos += int(n)
	return b, nil
}

// uint reads an n-byte little-endian unsigned integer.
func (u *unpickler) uint(n int) (uint64, error) {
	b, err := u.bytes(uint64(n))
	if err != nil {
		return 0, err
	}
	var v uint64
	for i := n - 1; i >= 0; i-- {
		v = v<<8 | uint64(b[i])
	}
	return v, nil
}

// counted reads the length-prefixed payload of a string or bytes opcode.
func (u *unpickler) counted(op byte) ([]byte, error) {
	var width int
	switch op {
	case opShortBinUnicode, opShortBinString, opShortBinBytes:
		width = 1
	case opBinUnicode, opBinString, opBinBytes:
		width = 4
	default:
		width = 8
	}
	n, err := u.uint(width)
	if err != nil {
		return nil, err
	}
	if op == opBinString && int32(n) < 0 {
		return nil, u.errf("negative length %d", int32(n))
	}
	return u.bytes(n)
}

// line reads up to and excluding the next newline (protocol 0 arguments).
func (u *unpickler) line() (string, error) {
	for i := u.pos; i < len(u.data); i++ {
		if u.data[i] == '\n' {
			s := string(u.data[u.pos:i])
			u.pos = i + 1
			return s, nil
		}
	}
	return "", u.errf("truncated line")
}

func (u *unpickler) memoIndex(op byte) (uint64, error) {
	switch op {
	case opBinGet, opBinPut:
		return u.uint(1)
	case opLongBinGet, opLongBinPut:
		return u.uint(4)
	}
	line, err := u.line()
	if err != nil {
		return 0, err
	}
	v, err := strconv.ParseUint(line, 10, 64)
	if err != nil {
		return 0, u.errf("bad memo index %q", line)
	}
	return v, nil
}

// decodeLong decodes a little-endian two's-complement integer (LONG1, LONG4).
func decodeLong(b []byte) any {
	if len(b) == 0 {
		return int64(0)
	}
	if len(b) <= 8 {
		var v uint64
		for i := len(b) - 1; i >= 0; i-- {
			v = v<<8 | uint64(b[i])
		}
		shift := 64 - 8*uint(len(b))
		return int64(v<<shift) >> shift // sign-extend
	}
	be := make([]byte, len(b))
	for i, c := range b {
		be[len(b)-1-i] = c
	}
	v := new(big.Int).SetBytes(be)
	if b[len(b)-1]&0x80 != 0 {
		v.Sub(v, new(big.Int).Lsh(big.NewInt(1), uint(8*len(b))))
	}
	if v.IsInt64() {
		return v.Int64()
	}
	return v
}

func parseIntText(s string) (any, error) {
	if v, err := strconv.ParseInt(s, 10, 64); err == nil {
		return v, nil
	}
	if len(s) > maxLongText {
		return nil, unsupported("pickle: integer literal of %d digits", len(s))
	}
	v, ok := new(big.Int).SetString(s, 10)
	if !ok {
		return nil, formatErr("pickle: bad integer %q", s)
	}
	return v, nil
}

// unquotePy2 decodes the argument of a protocol-0 STRING: a Python 2 str
// literal in single or double quotes with backslash escapes.
func unquotePy2(s string) (string, error) {
	if len(s) < 2 || s[0] != s[len(s)-1] || (s[0] != '\'' && s[0] != '"') {
		return "", formatErr("pickle: STRING argument %q is not quoted", s)
	}
	s = s[1 : len(s)-1]
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c != '\\' || i+1 == len(s) {
			b.WriteByte(c)
			continue
		}
		i++
		switch c = s[i]; c {
		case 'n':
			b.WriteByte('\n')
		case 't':
			b.WriteByte('\t')
		case 'r':
			b.WriteByte('\r')
		case 'a':
			b.WriteByte('\a')
		case 'b':
			b.WriteByte('\b')
		case 'f':
			b.WriteByte('\f')
		case 'v':
			b.WriteByte('\v')
		case '\n':
		case 'x':
			if i+2 < len(s) && isHex(s[i+1]) && isHex(s[i+2]) {
				v, _ := strconv.ParseUint(s[i+1:i+3], 16, 8)
				b.WriteByte(byte(v))
				i += 2
			} else {
				return "", formatErr("pickle: bad \\x escape in STRING")
			}
		case '0', '1', '2', '3', '4', '5', '6', '7':
			v := 0
			j := i
			for ; j < len(s) && j < i+3 && s[j] >= '0' && s[j] <= '7'; j++ {
				v = v*8 + int(s[j]-'0')
			}
			b.WriteByte(byte(v))
			i = j - 1
		default: // \\, \', \" and unknown escapes, kept as Python does
			if c != '\\' && c != '\'' && c != '"' {
				b.WriteByte('\\')
			}
			b.WriteByte(c)
		}
	}
	return b.String(), nil
}

// decodeRawUnicodeEscape decodes protocol 0's UNICODE argument: Latin-1 text
// in which \uXXXX and \UXXXXXXXX stand for code points.
func decodeRawUnicodeEscape(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+1 < len(s) && (s[i+1] == 'u' || s[i+1] == 'U') {
			n := 4
			if s[i+1] == 'U' {
				n = 8
			}
			if i+2+n <= len(s) {
				if v, err := strconv.ParseUint(s[i+2:i+2+n], 16, 32); err == nil && v <= utf8.MaxRune {
					b.WriteRune(rune(v))
					i += 1 + n
					continue
				}
			}
		}
		b.WriteRune(rune(s[i])) // Latin-1
	}
	return b.String()
}

func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

// typeName names a machine value's Python type, for errors.
func typeName(v any) string {
	switch v := v.(type) {
	case nil:
		return "None"
	case bool:
		return "bool"
	case int64, *big.Int:
		return "int"
	case float64:
		return "float"
	case string:
		return "str"
	case []byte:
		return "bytes"
	case pyTuple:
		return "tuple"
	case *pyList:
		return "list"
	case *pyDict:
		return "dict"
	case *pySet:
		return "set"
	case *pyGlobal:
		return "global " + v.String()
	case *pyObject:
		return "object of " + v.className()
	case *torchStorage:
		return "storage"
	case *torchTensor:
		return "tensor"
	}
	return "unknown"
}
