/** DTS snippets, one per language feature of dtc Documentation/dts-format.txt; shared by the syntax and fuzz tests. */

export const SYNTAX_CASES: Record<string, string> = {
  "empty root": `/dts-v1/; / { };`,
  "properties of every kind": `/dts-v1/;
/ {
  model = "Tessera test";
  compatible = "vendor,board", "vendor,soc";
  #address-cells = <2>;
  #size-cells = <0x1>;
  empty-prop;
  bytes = [00 01 0a ff];
  bytes-spaced = [de ad be ef 00];
  mixed = "a", <1 2>, [03 04], "b";
};`,
  "/bits/ sizes": `/dts-v1/;
/ {
  b8 = /bits/ 8 <1 2 0xff>;
  b16 = /bits/ 16 <0x1234 0xffff>;
  b32 = /bits/ 32 <0x12345678>;
  b64 = /bits/ 64 <0x123456789abcdef0 1>;
  neg8 = /bits/ 8 <(-1)>;
  neg16 = /bits/ 16 <(-2)>;
};`,
  "cell expressions with every C operator": `/dts-v1/;
/ {
  arith = <(1 + 2) (10 - 3) (6 * 7) (100 / 7) (100 % 7)>;
  bits = <(0xf0 | 0x0f) (0xff & 0x3c) (0xff ^ 0x0f) (~0) (1 << 4) (0x100 >> 4)>;
  logic = <(1 && 0) (1 || 0) (!0) (!5)>;
  compare = <(1 < 2) (2 > 1) (2 <= 2) (3 >= 4) (5 == 5) (5 != 5)>;
  ternary = <(1 ? 10 : 20) (0 ? 10 : 20) (1 ? 0 ? 1 : 2 : 3)>;
  nested = <((1 + 2) * (3 + 4) - (8 / (1 + 1)))>;
  precedence = <(1 + 2 * 3) (1 << 2 + 1) (1 | 2 ^ 3 & 4) (1 - -1)>;
  big = <(0xffffffff + 0) (-1) (0x80000000 * 1)>;
  shifts = <(1 << 63 >> 62) (1 << 64)>;
  literals = <10 0x1F 017 0 10U 10UL 10ULL 10L 10LL>;
  u64expr = /bits/ 64 <(0xffffffffffffffff + 2) (1 << 40)>;
};`,
  "char literals": `/dts-v1/;
/ {
  bytechars = /bits/ 8 <'h' 'i'>;
  chars = <'a' 'Z' '\\n' '\\0' '\\x41' '\\101' '\\\\'>;
};`,
  "string escapes": `/dts-v1/;
/ {
  esc = "tab\\there", "nl\\n", "quote\\"", "back\\\\slash";
  octal = "\\101\\102\\7", "hex\\x41\\x4a\\xff";
  ctrl = "\\a\\b\\f\\v\\r";
  nul = "a\\0b";
  unknown = "\\q\\%";
  utf8 = "caf\xc3\xa9";
};`,
  "labels on nodes, properties and inside values": `/dts-v1/;
/ {
  l1: l2: node@1 {
    reg = <1>;
    plabel: prop = <1 2>;
    inner = start: <1 mid: 2> end:, s2: "str" s3:;
    bl = [01 bl1: 02 03];
  };
};`,
  "phandle references and automatic phandles": `/dts-v1/;
/ {
  intc: interrupt-controller@0 {
    reg = <0>;
    interrupt-controller;
  };
  other: other { };
  third { label3: x { }; };
  dev { interrupt-parent = <&intc>; pair = <&other 1 &intc 2>; deep = <&label3>; byref = <&{/third/x}>; };
  dev2 { back = <&intc>; };
};`,
  "explicit phandles kept, allocation avoids them": `/dts-v1/;
/ {
  a: a { phandle = <1>; };
  b: b { };
  c: c { linux,phandle = <2>; };
  d { refs = <&b &a &c>; };
  self: e { phandle = <&self>; };
};`,
  "path references": `/dts-v1/;
/ {
  aliases { serial0 = &uart; other = &{/soc/bus@10}; root = &{/}; };
  chosen { stdout-path = &uart; combo = "x", &uart, "y"; };
  soc { uart: serial@1000 { reg = <0x1000>; }; bus@10 { }; };
};`,
  "node redefinition merges and keeps order": `/dts-v1/;
/ {
  a { p1 = <1>; p2 = <2>; c1 { }; };
  b { };
};
/ {
  a { p2 = <22>; p3 = <3>; c2 { }; c1 { q = <1>; }; };
  new { };
};`,
  "amend by label and by path": `/dts-v1/;
/ {
  lbl: node { x = <1>; };
  other { };
};
&lbl { y = <2>; };
&{/other} { z = <3>; };
newlabel: &lbl { w = <4>; };
/ { user = <&newlabel>; };`,
  "delete-node and delete-property": `/dts-v1/;
/ {
  keep { a = <1>; b = <2>; c = <3>; };
  gone { child { }; };
  alsogone: alsogone { };
  byname { };
};
/ {
  keep { /delete-property/ b; };
  /delete-node/ gone;
  /delete-node/ byname;
};
/delete-node/ &alsogone;`,
  "deleted property revived in place": `/dts-v1/;
/ { n { a = <1>; b = <2>; c = <3>; }; };
/ { n { /delete-property/ b; }; };
/ { n { d = <4>; b = <22>; }; };`,
  "deleted node revived in place": `/dts-v1/;
/ { x { }; y { p = <1>; }; z { }; };
/ { /delete-node/ y; };
/ { y { q = <2>; }; };`,
  "omit-if-no-ref": `/dts-v1/;
/ {
  /omit-if-no-ref/ unused { };
  /omit-if-no-ref/ used: used { };
  lateomit: late { };
  user { ref = <&used>; };
};
/omit-if-no-ref/ &lateomit;`,
  memreserve: `/dts-v1/;
/memreserve/ 0x10000000 0x4000;
r2: /memreserve/ 0x0 (0x1000 * 2);
/ { };`,
  "boot cpu guessed from /cpus": `/dts-v1/;
/ { cpus { #address-cells = <1>; #size-cells = <0>; cpu@3 { reg = <3>; }; cpu@0 { reg = <0>; }; }; };`,
  "node and property names with odd characters": `/dts-v1/;
/ {
  #weird?prop*,name;
  \\escaped-name = <1>;
  a,b-c_d.e+f@1,2 { reg = <1>; };
  1234 { };
};`,
  "strings table suffix sharing": `/dts-v1/;
/ { #size-cells = <1>; size-cells = <2>; cells = <3>; s = <4>; n { size-cells; ells; }; };`,
  comments: `/dts-v1/; // line comment
/* block
   comment */ / { /* inside */ a = <1 /* in cells */ 2>; // trailing
  b = "/* not a comment */";
};`,
  "multiple /dts-v1/ headers": `/dts-v1/;
/dts-v1/;
/ { };`,
  "value label at end and between items": `/dts-v1/;
/ { p = a1: "x", a2: <1>, a3: [01] a4:; };`,
  "long values and many nodes": `/dts-v1/;
/ {
  ${Array.from({ length: 60 }, (_, i) => `n${i}@${i.toString(16)} { reg = <${i}>; data = <${Array.from({ length: 20 }, (_, j) => i * 20 + j).join(" ")}>; name${i % 7} = "v${i}"; };`).join("\n  ")}
};`,
  "string-looking values printed as strings or cells": `/dts-v1/;
/ {
  looks-string = <0x61626300>;
  two-nuls = [61 00 00 00];
  cells-with-nul = <0x00000000 0x61000000>;
  odd = [01 02 03];
};`,
  "hex bytes adjacent": `/dts-v1/;
/ { b = [0123456789abcdefABCDEF]; };`,
  "root deleted by reference": `/dts-v1/;
/ { a = <1>; n { }; };
/delete-node/ &{/};`,
  "root deleted then redefined": `/dts-v1/;
/ { a = <1>; n { }; };
/delete-node/ &{/};
/ { b; };`,
  "node deleted and re-added in a later block": `/dts-v1/;
/ { cpus { cpu@1 { reg = <1>; }; }; };
/ { cpus { /delete-node/ cpu@1; cpu@2 { reg = <2>; }; }; };`,
  "property deleted and re-added through path references": `/dts-v1/;
/ { n { p = <1>; q = <2>; }; };
&{/n} { /delete-property/ p; };
&{/n} { p = "again"; };`,
  "same label given twice to one node": `/dts-v1/;
/ { a: n { }; };
/ { a: n { }; };`,
  "linux,phandle and phandle both respected": `/dts-v1/;
/ { n { phandle = <5>; }; m { x = <&{/n}>; }; o: o { }; p { y = <&o>; }; q { linux,phandle = <1>; }; };`,
  "name properties that match are dropped": `/dts-v1/;
/ { n { name = "n"; }; m@1 { name = "m"; }; };`,
};
