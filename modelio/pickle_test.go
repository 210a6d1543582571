package modelio

import (
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"math"
	"math/big"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
)

// render reproduces testdata/gen.py's canon for the unpickler's values.
func render(v any) string {
	switch v := v.(type) {
	case nil:
		return "None"
	case bool:
		if v {
			return "True"
		}
		return "False"
	case int64:
		return strconv.FormatInt(v, 10)
	case *big.Int:
		return v.String()
	case float64:
		var b [8]byte
		binary.BigEndian.PutUint64(b[:], math.Float64bits(v))
		return "f" + hex.EncodeToString(b[:])
	case string:
		return "s" + hex.EncodeToString([]byte(v))
	case []byte:
		return "b" + hex.EncodeToString(v)
	case pyTuple:
		return "(" + renderAll(v) + ")"
	case *pyList:
		return "[" + renderAll(v.items) + "]"
	case *pyDict:
		parts := make([]string, len(v.keys))
		for i := range v.keys {
			parts[i] = render(v.keys[i]) + ":" + render(v.vals[i])
		}
		return "{" + strings.Join(parts, ",") + "}"
	case *pySet:
		parts := make([]string, len(v.items))
		for i, x := range v.items {
			parts[i] = render(x)
		}
		sort.Strings(parts)
		return "set{" + strings.Join(parts, ",") + "}"
	case *pyObject:
		return "obj(" + v.className() + ")"
	}
	return fmt.Sprintf("?%T", v)
}

func renderAll(vs []any) string {
	parts := make([]string, len(vs))
	for i, x := range vs {
		parts[i] = render(x)
	}
	return strings.Join(parts, ",")
}

func unpickle(data []byte) (any, error) {
	return (&unpickler{data: data}).run()
}

// TestPickleProtocols unpickles what CPython's pickle wrote with protocols 0
// to 5 and compares it with CPython's own rendering of the object.
func TestPickleProtocols(t *testing.T) {
	for proto := 0; proto <= 5; proto++ {
		t.Run(fmt.Sprint("proto", proto), func(t *testing.T) {
			data, err := os.ReadFile(filepath.Join("testdata", "pickle", fmt.Sprintf("proto%d.pkl", proto)))
			if err != nil {
				t.Fatal(err)
			}
			want, err := os.ReadFile(filepath.Join("testdata", "pickle", fmt.Sprintf("proto%d.txt", proto)))
			if err != nil {
				t.Fatal(err)
			}
			v, err := unpickle(data)
			if err != nil {
				t.Fatal(err)
			}
			got := render(v)
			if w := strings.TrimSpace(string(want)); got != w {
				i := 0
				for i < len(got) && i < len(w) && got[i] == w[i] {
					i++
				}
				t.Fatalf("differs from CPython at %d:\n got …%s\nwant …%s", i, clip(got[i:]), clip(w[i:]))
			}
			// The two elements of "shared" are one list, as in Python.
			d := v.(*pyDict)
			s, _ := d.get("shared")
			pair := s.(*pyList).items
			if pair[0] != pair[1] {
				t.Error("memoized list was copied")
			}
		})
	}
}

// p assembles a pickle from opcodes and arguments: strings and byte slices
// are copied, ints become one byte each.
func p(parts ...any) []byte {
	var b []byte
	for _, x := range parts {
		switch x := x.(type) {
		case string:
			b = append(b, x...)
		case []byte:
			b = append(b, x...)
		case int:
			b = append(b, byte(x))
		default:
			panic(fmt.Sprintf("p: %T", x))
		}
	}
	return b
}

func le32(n uint32) []byte { return binary.LittleEndian.AppendUint32(nil, n) }
func le64(n uint64) []byte { return binary.LittleEndian.AppendUint64(nil, n) }

// TestPickleOpcodes covers the opcodes CPython 3 never emits (protocol 0/1
// classes, Python 2 strings) and the stack and memo operations, with pickles
// written by hand.
func TestPickleOpcodes(t *testing.T) {
	tests := []struct {
		name string
		data []byte
		want string
	}{
		{"INST", p("(I1\nimymod\nKlass\n."), "obj(mymod.Klass)"},
		{"OBJ", p("(cmymod\nKlass\nI1\no."), "obj(mymod.Klass)"},
		{"INST OrderedDict", p("(icollections\nOrderedDict\n."), "{}"},
		{"STRING", p(`S'a\'b\n\x41\101'`, "\n."), render("a'b\nAA")},
		{"STRING double-quoted", p(`S"q"`, "\n."), render("q")},
		{"BINSTRING", p("T", le32(2), "hi."), render("hi")},
		{"SHORT_BINSTRING", p("U", 2, "hi."), render("hi")},
		{"UNICODE", p(`Vx\u00e9\U0001F600`, "\xe9\n."), render("xé😀é")},
		{"BINUNICODE8", p(0x8d, le64(2), "hi."), render("hi")},
		{"BINBYTES8", p(0x8e, le64(2), "hi."), render([]byte("hi"))},
		{"BYTEARRAY8 READONLY_BUFFER", p(0x96, le64(1), "z", 0x98, "."), render([]byte("z"))},
		{"INT bools", p("(I01\nI00\nt."), "(True,False)"},
		{"INT negative", p("I-5\n."), "-5"},
		{"LONG text", p("L123456789012345678901234567890L\n."), "123456789012345678901234567890"},
		{"LONG4", p(0x8b, le32(2), 0xff, 0x7f, "."), "32767"},
		{"LONG1 empty", p(0x8a, 0, "."), "0"},
		{"LONG1 negative", p(0x8a, 2, 0x00, 0xff, "."), "-256"},
		{"FLOAT text", p("F-0.25\n."), render(-0.25)},
		{"BININT negative", p("J", le32(0xfffffffe), "."), "-2"},
		{"DICT", p("(K\x01K\x02K\x03K\x04d."), "{1:2,3:4}"},
		{"DICT repeated key", p("(K\x01K\x02K\x01K\x03d."), "{1:3}"},
		{"LIST APPEND", p("(lK\x01aK\x02a."), "[1,2]"},
		{"POP", p("K\x01K\x020."), "1"},
		{"POP at mark pops the mark", p("K\x01(0."), "1"},
		{"POP_MARK", p("K\x01(K\x02K\x031."), "1"},
		{"DUP", p("(K\x072t."), "(7,7)"},
		{"GET PUT text", p("K\x05p3\n0g3\n."), "5"},
		{"MEMOIZE", p("K\x09", 0x94, "0h", 0, "."), "9"},
		{"LONG_BINPUT LONG_BINGET", p("K\x09r", le32(1<<31), "0j", le32(1<<31), "."), "9"},
		{"STACK_GLOBAL NEWOBJ BUILD", p(0x8c, 1, "m", 0x8c, 1, "C", 0x93, ")", 0x81, "}b."), "obj(m.C)"},
		{"NEWOBJ_EX", p("cm\nC\n)}", 0x92, "."), "obj(m.C)"},
		{"opaque absorbs items", p("cm\nC\n)R(K\x01K\x02uK\x03K\x04s(K\x05eK\x06a(K\x07", 0x90, "."), "obj(m.C)"},
		{"FROZENSET", p("(K\x01K\x02", 0x91, "."), "set{1,2}"},
		{"REDUCE of a non-global", p("K\x01)R."), "obj(an unknown class)"},
		{"dict key kinds", p("}(K\x01K\x02", "F1.5\nK\x03", "NK\x04", 0x88, "K\x05", "(K\x01tK\x06", "(K\x01tK\x07u."), "{1:5," + render(1.5) + ":3,None:4,(1):6,(1):7}"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v, err := unpickle(tt.data)
			if err != nil {
				t.Fatal(err)
			}
			if got := render(v); got != tt.want {
				t.Errorf("got %s, want %s", got, tt.want)
			}
		})
	}
}

// TestPickleErrors checks that malformed pickles give errors, not panics or
// allocations.
func TestPickleErrors(t *testing.T) {
	deepMarks := strings.Repeat("(", maxPickleMarks+1)
	manyOps := strings.Repeat("N0", maxPickleOps/2+1)
	tests := []struct {
		name        string
		data        []byte
		unsupported bool
		msg         string
	}{
		{"empty", nil, false, "without STOP"},
		{"no STOP", p("K\x01"), false, "without STOP"},
		{"STOP on empty stack", p("."), false, "stack is empty"},
		{"truncated BININT", p("J\x01\x02"), false, "bytes wanted"},
		{"huge BINUNICODE", p("X", le32(0xffffffff), "ab"), false, "4294967295 bytes wanted"},
		{"huge BINBYTES8", p(0x8e, le64(1<<62), "ab"), false, "bytes wanted"},
		{"huge LONG4", p(0x8b, le32(0x7fffffff), "ab"), false, "bytes wanted"},
		{"negative LONG4", p(0x8b, le32(0xffffffff)), false, "negative length"},
		{"negative BINSTRING", p("T", le32(0xffffffff)), false, "negative length"},
		{"truncated line", p("cmod"), false, "truncated line"},
		{"missing memo", p("h", 3, "."), false, "memo entry 3 is not set"},
		{"PUT on empty stack", p("q", 0, "."), false, "stack underflow"},
		{"APPEND to int", p("K\x01K\x02a."), false, "APPEND to int"},
		{"SETITEM on tuple", p(")K\x01K\x02s."), false, "SETITEM on tuple"},
		{"SETITEMS odd", p("}(K\x01u."), false, "odd number"},
		{"DICT odd", p("(K\x01d."), false, "odd number"},
		{"ADDITEMS to list", p("](K\x01", 0x90, "."), false, "ADDITEMS to list"},
		{"TUPLE without MARK", p("K\x01t."), false, "no MARK"},
		{"TUPLE3 underflow", p("K\x01K\x02", 0x87, "."), false, "stack underflow"},
		{"TUPLE2 across MARK", p("K\x01(K\x02", 0x86, "."), false, "stack underflow"},
		{"REDUCE with non-tuple", p("cm\nf\nK\x01R."), false, "not a tuple"},
		{"STACK_GLOBAL of ints", p("K\x01K\x02", 0x93, "."), false, "not strings"},
		{"OBJ without class", p("(o."), false, "no class"},
		{"unknown opcode", p(0xff), false, "unknown opcode"},
		{"bad float", p("Fx\n."), false, "bad float"},
		{"bad int", p("Ix\n."), false, "bad integer"},
		{"bad memo index", p("gx\n."), false, "bad memo index"},
		{"unquoted STRING", p("Sabc\n."), false, "not quoted"},
		{"frame past end", p(0x95, le64(100), "N."), false, "frame of 100 bytes"},
		{"protocol 6", p(0x80, 6, "N."), true, "protocol 6"},
		{"EXT1", p(0x82, 1, "."), true, "EXT1"},
		{"NEXT_BUFFER", p(0x97, "."), true, "NEXT_BUFFER"},
		{"persistent id without loader", p("K\x01Q."), true, "persistent id"},
		{"MARKs too deep", p(deepMarks), true, "nested more than"},
		{"too many opcodes", p(manyOps, "N."), true, "opcodes"},
		{"huge text LONG", p("L", strings.Repeat("9", maxLongText+1), "\n."), true, "digits"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := unpickle(tt.data)
			checkErr(t, err, tt.unsupported, tt.msg)
		})
	}
}

// TestPickleCycle: a list that contains itself is fine (nothing walks it).
func TestPickleCycle(t *testing.T) {
	v, err := unpickle(p("]q", 0, "h", 0, "a."))
	if err != nil {
		t.Fatal(err)
	}
	l := v.(*pyList)
	if len(l.items) != 1 || l.items[0] != any(l) {
		t.Fatalf("got %v", l.items)
	}
}

// checkErr requires err to be a *FormatError (or *UnsupportedError) whose
// message contains msg.
func checkErr(t *testing.T, err error, unsupported bool, msg string) {
	t.Helper()
	if err == nil {
		t.Fatalf("no error, want one containing %q", msg)
	}
	var fe *FormatError
	var ue *UnsupportedError
	switch {
	case unsupported && !errors.As(err, &ue):
		t.Fatalf("error %q (%T) is not an *UnsupportedError", err, err)
	case !unsupported && !errors.As(err, &fe):
		t.Fatalf("error %q (%T) is not a *FormatError", err, err)
	}
	if !strings.Contains(err.Error(), msg) {
		t.Fatalf("error %q does not mention %q", err, msg)
	}
}
