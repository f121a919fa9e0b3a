"""The .pyi stubs editors complete from match the package: every public function is stubbed
with the same parameter names, kinds and defaults, and Params's stubbed attributes exist."""

import ast
import inspect
import pathlib

import balnet

STUB = pathlib.Path(balnet.__file__).with_name("__init__.pyi")


def stub_functions():
    tree = ast.parse(STUB.read_text())
    return {n.name: n for n in tree.body if isinstance(n, ast.FunctionDef)}, tree


def params_of(node: ast.FunctionDef):
    a = node.args
    out = []
    positional = a.posonlyargs + a.args
    defaults = [None] * (len(positional) - len(a.defaults)) + list(a.defaults)
    for p, d in zip(positional, defaults):
        out.append((p.arg, "POSITIONAL_OR_KEYWORD", None if d is None else ast.literal_eval(d)))
    if a.vararg:
        out.append((a.vararg.arg, "VAR_POSITIONAL", None))
    for p, d in zip(a.kwonlyargs, a.kw_defaults):
        out.append((p.arg, "KEYWORD_ONLY", None if d is None else ast.literal_eval(d)))
    if a.kwarg:
        out.append((a.kwarg.arg, "VAR_KEYWORD", None))
    return out


def test_every_public_function_is_stubbed_with_its_signature():
    funcs, _ = stub_functions()
    public = [n for n in balnet.__all__ if inspect.isfunction(getattr(balnet, n))]
    assert sorted(public) == sorted(funcs)
    for name in public:
        sig = inspect.signature(getattr(balnet, name))
        real = [
            (p.name, p.kind.name, None if p.default is inspect.Parameter.empty else p.default)
            for p in sig.parameters.values()
        ]
        assert params_of(funcs[name]) == real, name


def test_stubbed_params_attributes_exist():
    _, tree = stub_functions()
    cls = next(n for n in tree.body if isinstance(n, ast.ClassDef) and n.name == "Params")
    attrs = [n.target.id for n in cls.body if isinstance(n, ast.AnnAssign)]
    p = balnet.Params(transfer="lif")
    assert sorted(attrs) == sorted(p.to_dict())
    for a in attrs:
        getattr(p, a)
