"""The rewrite of checked code: size-amplifying operations through guards, a tick in every
loop and function, attribute reads through ``read_attribute``, every ``except`` handler
opened by ``rethrow``, ``import`` bound to the safe module stand-ins.

The helpers named here (``__cb_*``) are supplied by ``guards.SAFE_BUILTINS`` (and the tick,
``__cb_enter`` and ``__cb_leave`` by the environment, per run); checked code cannot name
them, since names cannot start with ``_``.
"""

from __future__ import annotations

import ast

from engine.bpmn.sandbox.allowlist import SCRIPT_GUARDED_METHODS

BINOP_HELPERS: dict[type[ast.operator], tuple[str, str]] = {
    ast.Add: ("__cb_add", "__cb_iadd"),
    ast.Mult: ("__cb_mul", "__cb_imul"),
    ast.Pow: ("__cb_pow", "__cb_pow"),
    ast.LShift: ("__cb_lshift", "__cb_lshift"),
    ast.Mod: ("__cb_mod", "__cb_mod"),
}


class Instrumenter(ast.NodeTransformer):
    """Route size-amplifying operations through helpers and tick every loop."""

    def __init__(self) -> None:
        self.helpers: set[str] = set()
        self.loops = False
        self.regex = False
        self.temps = 0

    def helper(self, name: str, node: ast.AST, args: list[ast.expr]) -> ast.Call:
        """A call of helper ``name`` where ``node`` was."""
        self.helpers.add(name)
        call = ast.Call(func=ast.Name(id=name, ctx=ast.Load()), args=args, keywords=[])
        return ast.copy_location(call, node)

    def tick(self, node: ast.AST) -> ast.Call:
        self.loops = True
        return self.helper("__cb_tick", node, [])

    def visit_BinOp(self, node: ast.BinOp) -> ast.expr:
        self.generic_visit(node)
        names = BINOP_HELPERS.get(type(node.op))
        if names is None:
            return node
        return self.helper(names[0], node, [node.left, node.right])

    def visit_AugAssign(self, node: ast.AugAssign) -> ast.stmt | list[ast.stmt]:
        self.generic_visit(node)
        names = BINOP_HELPERS.get(type(node.op))
        if names is None:
            return node
        target = node.target
        if isinstance(target, ast.Name):
            load = ast.copy_location(ast.Name(id=target.id, ctx=ast.Load()), target)
            call = self.helper(names[1], node, [load, node.value])
            return ast.copy_location(ast.Assign(targets=[target], value=call), node)
        assert isinstance(target, ast.Subscript)
        self.temps += 1
        obj, key = f"__cb_t{self.temps}o", f"__cb_t{self.temps}k"
        statements: list[ast.stmt] = [
            ast.Assign(targets=[ast.Name(id=obj, ctx=ast.Store())], value=target.value),
            ast.Assign(targets=[ast.Name(id=key, ctx=ast.Store())], value=target.slice),
        ]

        def item(ctx: ast.expr_context) -> ast.Subscript:
            return ast.Subscript(
                value=ast.Name(id=obj, ctx=ast.Load()),
                slice=ast.Name(id=key, ctx=ast.Load()),
                ctx=ctx,
            )

        call = self.helper(names[1], node, [item(ast.Load()), node.value])
        statements.append(ast.Assign(targets=[item(ast.Store())], value=call))
        statements.append(
            ast.Delete(targets=[ast.Name(id=obj, ctx=ast.Del()), ast.Name(id=key, ctx=ast.Del())])
        )
        return [ast.copy_location(s, node) for s in statements]

    def visit_Call(self, node: ast.Call) -> ast.expr:
        func = node.func
        if isinstance(func, ast.Attribute):
            func.value = self.visit(func.value)
        else:
            node.func = self.visit(func)
        node.args = [self.visit(arg) for arg in node.args]
        for keyword in node.keywords:
            keyword.value = self.visit(keyword.value)
        if isinstance(func, ast.Attribute) and func.attr in SCRIPT_GUARDED_METHODS:
            method = ast.copy_location(ast.Constant(value=func.attr), func)
            call = self.helper("__cb_call", node, [func.value, method, *node.args])
            call.keywords = node.keywords
            return call
        return node

    def visit_List(self, node: ast.List) -> ast.expr:
        return self._unpacking(node)

    def visit_Tuple(self, node: ast.Tuple) -> ast.expr:
        return self._unpacking(node)

    def _unpacking(self, node: ast.List | ast.Tuple) -> ast.expr:
        self.generic_visit(node)
        if isinstance(node.ctx, ast.Load) and any(isinstance(e, ast.Starred) for e in node.elts):
            return self.helper("__cb_sized", node, [node])
        return node

    def visit_JoinedStr(self, node: ast.JoinedStr) -> ast.expr:
        self.generic_visit(node)
        return self.helper("__cb_text", node, [node])

    def visit_FormattedValue(self, node: ast.FormattedValue) -> ast.FormattedValue:
        node.value = self.visit(node.value)
        if not isinstance(node.value, ast.Constant):
            node.value = self.helper("__cb_fv", node.value, [node.value])
        return node

    def visit_For(self, node: ast.For) -> ast.For:
        self.generic_visit(node)
        node.body.insert(0, ast.copy_location(ast.Expr(value=self.tick(node)), node))
        return node

    def visit_While(self, node: ast.While) -> ast.While:
        self.generic_visit(node)
        node.body.insert(0, ast.copy_location(ast.Expr(value=self.tick(node)), node))
        return node

    def visit_comprehension(self, node: ast.comprehension) -> ast.comprehension:
        self.generic_visit(node)
        node.ifs.insert(0, self.tick(node.iter))
        return node

    def visit_Attribute(self, node: ast.Attribute) -> ast.expr:
        self.generic_visit(node)
        name = ast.copy_location(ast.Constant(value=node.attr), node)
        return self.helper("__cb_attr", node, [node.value, name])

    def visit_ExceptHandler(self, node: ast.ExceptHandler) -> ast.ExceptHandler:
        self.generic_visit(node)
        if node.name is None:
            self.temps += 1
            node.name = f"__cb_e{self.temps}"
        error = ast.Name(id=node.name, ctx=ast.Load())
        check = ast.Expr(value=self.helper("__cb_rethrow", node, [error]))
        node.body.insert(0, ast.copy_location(check, node))
        return node

    def visit_FunctionDef(self, node: ast.FunctionDef) -> ast.FunctionDef:
        self.generic_visit(node)
        self.loops = True
        enter = ast.Expr(value=self.helper("__cb_enter", node, []))
        leave = ast.Expr(value=self.helper("__cb_leave", node, []))
        body = ast.Try(body=node.body, handlers=[], orelse=[], finalbody=[leave])
        node.body = [ast.copy_location(enter, node), ast.copy_location(body, node)]
        return node

    def visit_Lambda(self, node: ast.Lambda) -> ast.Lambda:
        self.generic_visit(node)
        node.body = ast.copy_location(
            ast.BoolOp(op=ast.And(), values=[self.tick(node), node.body]), node.body
        )
        return node

    def visit_Name(self, node: ast.Name) -> ast.Name:
        if node.id == "re":
            self.regex = True
        return node

    def visit_Import(self, node: ast.Import) -> list[ast.stmt]:
        self.regex = self.regex or any(alias.name == "re" for alias in node.names)
        return [
            self.bind(node, alias.asname or alias.name, "__cb_module", [alias.name])
            for alias in node.names
        ]

    def visit_ImportFrom(self, node: ast.ImportFrom) -> list[ast.stmt]:
        module = node.module or ""
        self.regex = self.regex or module == "re"
        return [
            self.bind(node, alias.asname or alias.name, "__cb_member", [module, alias.name])
            for alias in node.names
        ]

    def bind(self, node: ast.stmt, target: str, helper: str, args: list[str]) -> ast.stmt:
        """``target = helper(*args)`` where ``node`` was."""
        constants: list[ast.expr] = [ast.Constant(value=arg) for arg in args]
        value = self.helper(helper, node, constants)
        name = ast.Name(id=target, ctx=ast.Store())
        return ast.copy_location(ast.Assign(targets=[name], value=value), node)
