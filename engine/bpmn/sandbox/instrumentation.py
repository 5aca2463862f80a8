"""The rewrite of checked code: size-amplifying operations through guards, a tick in every loop.

The helpers named here (``__cb_*``) are supplied by ``guards.SAFE_BUILTINS`` (and the tick by
the environment, per run); checked code cannot name them, since names cannot start with ``_``.
"""

from __future__ import annotations

import ast

from engine.bpmn.sandbox.allowlist import GUARDED_METHODS

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
        self.temps = 0

    def helper(self, name: str, node: ast.AST, args: list[ast.expr]) -> ast.Call:
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
        self.generic_visit(node)
        func = node.func
        if isinstance(func, ast.Attribute) and func.attr in GUARDED_METHODS:
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
