"""The CEL layer: celpy plus the Kubernetes libraries and the optional syntax."""

from __future__ import annotations

import pytest

from ingress2gw.validate import cel


def ev(src: str, self=None, schema=None):
    return cel.compile_rule(src).evaluate({"self": cel.to_cel(self, schema)})


@pytest.mark.parametrize("src,self_,expected", [
    # optional syntax
    ("self.?a.orValue(1)", {}, 1),
    ("self.?a.orValue(1)", {"a": 5}, 5),
    ("self.?a.?b.hasValue()", {"a": {}}, False),
    ("has(self.?a.b)", {"a": {"b": 1}}, True),
    ("has(self.?a.b)", {}, False),
    ("self[?'k'].value()", {"k": "v"}, "v"),
    ("[1][?3].hasValue()", None, False),
    ("optional.of(2).value() + optional.none().orValue(3)", None, 5),
    ("optional.ofNonZeroValue('').hasValue()", None, False),
    ("optional.none().or(optional.of(1)).value()", None, 1),
    # strings
    ("self.lowerAscii() + self.upperAscii()", "aÉb", "aÉbAÉB"),
    ("'abcabc'.indexOf('c') == 2 && 'abcabc'.lastIndexOf('c') == 5 && 'abc'.indexOf('c', 1) == 2", None, True),
    ("'a.b.c'.replace('.', '/') == 'a/b/c' && 'a.b.c'.replace('.', '/', 1) == 'a/b.c'", None, True),
    ("'a/b/c'.split('/') == ['a', 'b', 'c'] && 'a/b/c'.split('/', 2) == ['a', 'b/c']", None, True),
    ("'héllo'.substring(1, 3) == 'él' && '  x '.trim() == 'x'", None, True),
    ("['a', 'b'].join('-') == 'a-b' && ['a', 'b'].join() == 'ab'", None, True),
    ("'%s=%d'.format(['x', 3])", None, "x=3"),
    ("'%b'.format([5])", None, "101"),  # binary verb (Python has no %b)
    ("size(self) == 3", "héé", True),  # code points
    ("self.startsWith('/a') && self.endsWith('z') && self.contains('m')", "/amz", True),
    # regex
    ("self.matches('^[a-z]+$')", "abc", True),
    ("self.matches('^[a-z]+\\\\z')", "abc", True),  # RE2 \\z
    ("self.find('[0-9]+')", "ab12cd345", "12"),
    ("self.findAll('[0-9]+')", "ab12cd345", ["12", "345"]),
    # lists
    ("[1, 2, 2].isSorted() && ![2, 1].isSorted()", None, True),
    ("[1, 2, 3].sum() == 6 && [3, 1, 2].min() == 1 && [3, 1, 2].max() == 3", None, True),
    ("[1, 2, 1].indexOf(1) == 0 && [1, 2, 1].lastIndexOf(1) == 2", None, True),
    ("self.all(x, x > 0) && self.exists(x, x == 2) && self.exists_one(x, x == 2)", [1, 2, 3], True),
    ("self.map(x, x * 2).filter(x, x > 2)", [1, 2, 3], [4, 6]),
    ("self.all(k, self[k] > 0)", {"a": 1, "b": 2}, True),
    # url
    ("url(self).getScheme() == 'https' && url(self).getHost() == 'a.b:8443' && url(self).getHostname() == 'a.b'"
     " && url(self).getPort() == '8443' && url(self).getEscapedPath() == '/p'", "https://a.b:8443/p?q=1", True),
    ("isURL(self)", "not a url", False),
    ("url(self).getQuery()['q'] == ['1']", "https://a/p?q=1", True),
    # ip / cidr
    ("isIP(self) && ip(self).family() == 4 && ip(self).isLoopback()", "127.0.0.1", True),
    ("isIP('::ffff:1.2.3.4') || isIP('fe80::1%eth0')", None, False),
    ("cidr('10.0.0.0/8').containsIP('10.2.3.4') && !cidr('10.0.0.0/8').containsIP(ip('11.0.0.1'))", None, True),
    ("cidr('10.0.0.0/8').containsCIDR('10.1.0.0/16') && cidr('10.1.2.3/8').masked() == cidr('10.0.0.0/8')", None, True),
    ("isCIDR('10.0.0.0/33') || isCIDR('10.0.0.0')", None, False),
    ("cidr('2001:db8::/32').prefixLength() == 32 && string(ip('::1')) == '::1'", None, True),
    # quantity
    ("quantity('1Gi').isGreaterThan(quantity('1G')) && quantity('500m').isLessThan(quantity('1'))", None, True),
    ("isQuantity('1.5Mi') && !isQuantity('1.5.5')", None, True),
    ("quantity('2k').asInteger() == 2000 && quantity('1').compareTo(quantity('1000m')) == 0", None, True),
    # duration (Go syntax)
    ("duration('1h30m') == duration('90m') && duration('1.5s') > duration('1500ms') == false", None, True),
    ("duration('-1us') < duration('0')", None, True),
    # format library
    ("format.dns1123Label().validate('ok-name') == optional.none()", None, True),
    ("format.dns1123Label().validate('Not_OK').hasValue()", None, True),
    ("format.named('dns1123Subdomain').value().validate('a.b.c') == null", None, True),
    ("!format.named('nope').hasValue()", None, True),
    # types / ints
    ("type(self) == int && self + 1 == 4", 3, True),
    ("type(self) == string", "3", True),
    ("type(self) == double", 3, True),  # number fields are doubles
])
def test_expressions(src, self_, expected):
    schema = {"type": "number"} if src == "type(self) == double" else None
    got = ev(src, self_, schema)
    assert got == expected


@pytest.mark.parametrize("src,fragment", [
    ("self.frobnicate()", "undeclared reference to method 'frobnicate'"),
    ("frob(self)", "undeclared reference to function 'frob'"),
    ("self.a ==", "syntax error"),
    ("nosuchvar > 1", "undeclared reference to 'nosuchvar'"),
    ("has(self)", "invalid argument to has() macro"),
])
def test_compile_errors(src, fragment):
    with pytest.raises(cel.CELCompileError) as ei:
        cel.compile_rule(src)
    assert fragment in str(ei.value)


def test_macro_variables_are_in_scope():
    cel.compile_rule("self.all(x, self.exists(y, x == y))")
    with pytest.raises(cel.CELCompileError):
        cel.compile_rule("self.all(x, y > 1)")


@pytest.mark.parametrize("src", ["self.a > 1", "int('x') > 1", "[1][3] == 1", "duration('1d') > duration('1h')",
                                 "quantity('bogus').isInteger()", "'abc'.substring(5) == ''"])
def test_runtime_errors_raise(src):
    from celpy.evaluation import CELEvalError

    with pytest.raises(CELEvalError):
        ev(src, {})


def test_error_is_absorbed_by_logical_operators():
    assert ev("self.a > 1 || true", {}) is not None and bool(ev("self.a > 1 || true", {}))
    assert not bool(ev("false && self.a > 1", {}))


def test_uses_old_self_detected():
    assert cel.compile_rule("self == oldSelf").uses_old_self
    assert not cel.compile_rule("self == 'oldSelf'").uses_old_self


def test_go_duration_parser():
    assert cel.parse_go_duration("1h2m3.5s") == (3723 * 10**9 + 5 * 10**8)
    assert cel.parse_go_duration("0") == 0
    for bad in ("", "1", "1d", "h", "1.5", "--1s"):
        assert cel.parse_go_duration(bad) is None, bad
