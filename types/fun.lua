---@meta
-- Type definitions for require("fun"), the Lua Fun API written for tinn (lua/fun.lua and its parts in lua/fun/, docs/fun.md).
-- Every function taking `gen, param, state` also takes any iterable in `gen` alone: an array
-- (iterated up to its first nil), a map (yields key, value), a string (yields characters), an
-- iterator, or an object with __ipairs/__pairs. Errors name the function, e.g. `map: f must be
-- a function, got nil`, and a non-iterable raises `<name>: expected an iterable ...`.

---A generator: `gen(param, state)` returns the next state (nil at the end) and the values.
---@alias fun.Gen fun(param: any, state: any): any, ...

---@alias fun.Iterable fun.Iterator|table|string|fun.Gen

---An iterator object: a stateless triple with every function of the module as a method.
---`for _it, x in iterator do ... end` works; `_it` is the internal state.
---@class fun.Iterator
---@field gen fun.Gen
---@field param any
---@field state any
local Iterator = {}

---The module. Calling it, `require("fun")()`, copies every function (and operator, op) into
---globals, skipping names that already exist unless override is true; it returns the module.
---@class fun
---@overload fun(override?: boolean): fun
local fun = {}

-------------------------------------------------------------------------------
-- Basic functions and generators
-------------------------------------------------------------------------------

---Makes an iterator from an iterable or a raw triple.
---Errors: raises `iter: expected an iterable ...` for anything else.
---@param obj fun.Iterable
---@param param? any
---@param state? any
---@return fun.Iterator iterator
---@return any param
---@return any state
function fun.iter(obj, param, state) end

---Turns a triple into an iterator object; also returns param and state so `for` loops use it.
---@param gen fun.Gen
---@param param any
---@param state any
---@return fun.Iterator iterator
---@return any param
---@return any state
function fun.wrap(gen, param, state) end

---The triple inside an iterator object (an array's is `ipairs(t)`'s, as in Lua Fun).
---@param self fun.Iterator
---@return fun.Gen gen
---@return any param
---@return any state
function fun.unwrap(self) end

---Like iter, but the values include gen's first result (its state): `from(ipairs(t))` yields i, v.
---@param gen fun.Gen|fun.Iterable
---@param param? any
---@param state? any
---@return fun.Iterator
function fun.from(gen, param, state) end

---start, start+step, ... while within stop (inclusive). start defaults to 1 (or -1 when stop < 0),
---step to 1 or -1; `range(0)` is empty.
---Errors: raises `range: step must not be zero`, or on non-numbers.
---@param start number
---@param stop? number
---@param step? number
---@return fun.Iterator iterator
---@return any param
---@return any state
function fun.range(start, stop, step) end

---An infinite iterator yielding the given values again and again.
---@param ... any
---@return fun.Iterator
function fun.duplicate(...) end

---Alias of duplicate.
---@param ... any
---@return fun.Iterator
function fun.xrepeat(...) end

---Alias of duplicate.
---@param ... any
---@return fun.Iterator
function fun.replicate(...) end

---An infinite iterator yielding f(0), f(1), f(2), ...
---Errors: raises if f is not callable.
---@param f fun(i: integer): ...
---@return fun.Iterator
function fun.tabulate(f) end

---An infinite iterator of 0.
---@return fun.Iterator
function fun.zeros() end

---An infinite iterator of 1.
---@return fun.Iterator
function fun.ones() end

---An infinite iterator of math.random values: integers in [n, m), in [0, n) with one argument,
---floats in [0, 1) with none. Not pure: every pass gives other values.
---Errors: raises `rands: empty interval` when n >= m, or on non-numbers.
---@param n? integer
---@param m? integer
---@return fun.Iterator
function fun.rands(n, m) end

---The elements of several iterables side by side (first values only), until the shortest ends.
---Pass raw triples wrapped with iter(); a function followed by a param and a number, boolean, nil
---or cdata state is taken as a triple too.
---@param ... fun.Iterable
---@return fun.Iterator iterator
---@return any param
---@return any state
function fun.zip(...) end

---The elements of several iterables, one after the other.
---@param ... fun.Iterable
---@return fun.Iterator iterator
---@return any param
---@return any state
function fun.chain(...) end

---True if iterable a is a prefix of iterable b (first values compared with ==).
---@param a fun.Iterable
---@param b fun.Iterable
---@return boolean
function fun.is_prefix_of(a, b) end

-------------------------------------------------------------------------------
-- Functions over an iterator (also methods of fun.Iterator)
-------------------------------------------------------------------------------

---Calls `f(...)` with the values of every element.
---Errors: raises if f is not callable or the argument is not iterable.
---@param f fun(...): any called once per element
---@param gen fun.Iterable an iterable, or the gen of a raw triple
---@param param? any the triple's param (with a raw gen)
---@param state? any the triple's state (with a raw gen)
function fun.each(f, gen, param, state) end

---Alias of each. Calls `f(...)` with the values of every element.
---Errors: raises if f is not callable or the argument is not iterable.
---@param f fun(...): any called once per element
---@param gen fun.Iterable an iterable, or the gen of a raw triple
---@param param? any the triple's param (with a raw gen)
---@param state? any the triple's state (with a raw gen)
function fun.for_each(f, gen, param, state) end

---Alias of each. Calls `f(...)` with the values of every element.
---Errors: raises if f is not callable or the argument is not iterable.
---@param f fun(...): any called once per element
---@param gen fun.Iterable an iterable, or the gen of a raw triple
---@param param? any the triple's param (with a raw gen)
---@param state? any the triple's state (with a raw gen)
function fun.foreach(f, gen, param, state) end

---The values of the n-th element (1-based), or nil if there are fewer. O(1) on strings; on arrays it checks for a nil before n, as iteration stops there.
---Errors: raises if n is not a positive integer.
---@param n integer position, from 1
---@param gen fun.Iterable an iterable, or the gen of a raw triple
---@param param? any the triple's param (with a raw gen)
---@param state? any the triple's state (with a raw gen)
---@return any ... # the element's values
function fun.nth(n, gen, param, state) end

---The values of the first element.
---Errors: raises `head: iterator is empty` on an empty iterator.
---@param gen fun.Iterable an iterable, or the gen of a raw triple
---@param param? any the triple's param (with a raw gen)
---@param state? any the triple's state (with a raw gen)
---@return any ... # the element's values
function fun.head(gen, param, state) end

---Alias of head. The values of the first element.
---Errors: raises `head: iterator is empty` on an empty iterator.
---@param gen fun.Iterable an iterable, or the gen of a raw triple
---@param param? any the triple's param (with a raw gen)
---@param state? any the triple's state (with a raw gen)
---@return any ... # the element's values
function fun.car(gen, param, state) end

---The iterator without its first element (an empty one stays empty).
---@param gen fun.Iterable an iterable, or the gen of a raw triple
---@param param? any the triple's param (with a raw gen)
---@param state? any the triple's state (with a raw gen)
---@return fun.Iterator
---@return any param
---@return any state
function fun.tail(gen, param, state) end

---Alias of tail. The iterator without its first element (an empty one stays empty).
---@param gen fun.Iterable an iterable, or the gen of a raw triple
---@param param? any the triple's param (with a raw gen)
---@param state? any the triple's state (with a raw gen)
---@return fun.Iterator
---@return any param
---@return any state
function fun.cdr(gen, param, state) end

---The first n elements.
---Errors: raises if n is negative or not a number.
---@param n integer how many
---@param gen fun.Iterable an iterable, or the gen of a raw triple
---@param param? any the triple's param (with a raw gen)
---@param state? any the triple's state (with a raw gen)
---@return fun.Iterator
---@return any param
---@return any state
function fun.take_n(n, gen, param, state) end

---The longest prefix whose elements satisfy pred.
---Errors: raises if pred is not callable.
---@param pred fun(...): any
---@param gen fun.Iterable an iterable, or the gen of a raw triple
---@param param? any the triple's param (with a raw gen)
---@param state? any the triple's state (with a raw gen)
---@return fun.Iterator
---@return any param
---@return any state
function fun.take_while(pred, gen, param, state) end

---take_n for a number, take_while for a function.
---Errors: as take_n / take_while.
---@param n_or_pred integer|fun(...): any
---@param gen fun.Iterable an iterable, or the gen of a raw triple
---@param param? any the triple's param (with a raw gen)
---@param state? any the triple's state (with a raw gen)
---@return fun.Iterator
---@return any param
---@return any state
function fun.take(n_or_pred, gen, param, state) end

---The iterator after its first n elements.
---Errors: raises if n is negative or not a number.
---@param n integer how many to skip
---@param gen fun.Iterable an iterable, or the gen of a raw triple
---@param param? any the triple's param (with a raw gen)
---@param state? any the triple's state (with a raw gen)
---@return fun.Iterator
---@return any param
---@return any state
function fun.drop_n(n, gen, param, state) end

---The iterator after the longest prefix whose elements satisfy pred.
---Errors: raises if pred is not callable.
---@param pred fun(...): any
---@param gen fun.Iterable an iterable, or the gen of a raw triple
---@param param? any the triple's param (with a raw gen)
---@param state? any the triple's state (with a raw gen)
---@return fun.Iterator
---@return any param
---@return any state
function fun.drop_while(pred, gen, param, state) end

---drop_n for a number, drop_while for a function.
---Errors: as drop_n / drop_while.
---@param n_or_pred integer|fun(...): any
---@param gen fun.Iterable an iterable, or the gen of a raw triple
---@param param? any the triple's param (with a raw gen)
---@param state? any the triple's state (with a raw gen)
---@return fun.Iterator
---@return any param
---@return any state
function fun.drop(n_or_pred, gen, param, state) end

---`take(n_or_pred, ...)` and `drop(n_or_pred, ...)` as two iterators.
---Errors: as take / drop.
---@param n_or_pred integer|fun(...): any
---@param gen fun.Iterable an iterable, or the gen of a raw triple
---@param param? any the triple's param (with a raw gen)
---@param state? any the triple's state (with a raw gen)
---@return fun.Iterator # the prefix
---@return fun.Iterator # the rest
function fun.span(n_or_pred, gen, param, state) end

---Alias of span. `take(n_or_pred, ...)` and `drop(n_or_pred, ...)` as two iterators.
---Errors: as take / drop.
---@param n_or_pred integer|fun(...): any
---@param gen fun.Iterable an iterable, or the gen of a raw triple
---@param param? any the triple's param (with a raw gen)
---@param state? any the triple's state (with a raw gen)
---@return fun.Iterator # the prefix
---@return fun.Iterator # the rest
function fun.split(n_or_pred, gen, param, state) end

---Alias of span. `take(n_or_pred, ...)` and `drop(n_or_pred, ...)` as two iterators.
---Errors: as take / drop.
---@param n_or_pred integer|fun(...): any
---@param gen fun.Iterable an iterable, or the gen of a raw triple
---@param param? any the triple's param (with a raw gen)
---@param state? any the triple's state (with a raw gen)
---@return fun.Iterator # the prefix
---@return fun.Iterator # the rest
function fun.split_at(n_or_pred, gen, param, state) end

---Position (1-based) of the first element whose first value equals x, or nil.
---@param x any the value to find
---@param gen fun.Iterable an iterable, or the gen of a raw triple
---@param param? any the triple's param (with a raw gen)
---@param state? any the triple's state (with a raw gen)
---@return integer|nil
function fun.index(x, gen, param, state) end

---Alias of index. Position (1-based) of the first element whose first value equals x, or nil.
---@param x any the value to find
---@param gen fun.Iterable an iterable, or the gen of a raw triple
---@param param? any the triple's param (with a raw gen)
---@param state? any the triple's state (with a raw gen)
---@return integer|nil
function fun.index_of(x, gen, param, state) end

---Alias of index. Position (1-based) of the first element whose first value equals x, or nil.
---@param x any the value to find
---@param gen fun.Iterable an iterable, or the gen of a raw triple
---@param param? any the triple's param (with a raw gen)
---@param state? any the triple's state (with a raw gen)
---@return integer|nil
function fun.elem_index(x, gen, param, state) end

---An iterator over the positions of the elements equal to x.
---@param x any the value to find
---@param gen fun.Iterable an iterable, or the gen of a raw triple
---@param param? any the triple's param (with a raw gen)
---@param state? any the triple's state (with a raw gen)
---@return fun.Iterator
---@return any param
---@return any state
function fun.indexes(x, gen, param, state) end

---Alias of indexes. An iterator over the positions of the elements equal to x.
---@param x any the value to find
---@param gen fun.Iterable an iterable, or the gen of a raw triple
---@param param? any the triple's param (with a raw gen)
---@param state? any the triple's state (with a raw gen)
---@return fun.Iterator
---@return any param
---@return any state
function fun.indices(x, gen, param, state) end

---Alias of indexes. An iterator over the positions of the elements equal to x.
---@param x any the value to find
---@param gen fun.Iterable an iterable, or the gen of a raw triple
---@param param? any the triple's param (with a raw gen)
---@param state? any the triple's state (with a raw gen)
---@return fun.Iterator
---@return any param
---@return any state
function fun.elem_indexes(x, gen, param, state) end

---Alias of indexes. An iterator over the positions of the elements equal to x.
---@param x any the value to find
---@param gen fun.Iterable an iterable, or the gen of a raw triple
---@param param? any the triple's param (with a raw gen)
---@param state? any the triple's state (with a raw gen)
---@return fun.Iterator
---@return any param
---@return any state
function fun.elem_indices(x, gen, param, state) end

---The elements for which pred(...) is truthy. (remove_if is Lua Fun's name for the same function.)
---Errors: raises if pred is not callable.
---@param pred fun(...): any
---@param gen fun.Iterable an iterable, or the gen of a raw triple
---@param param? any the triple's param (with a raw gen)
---@param state? any the triple's state (with a raw gen)
---@return fun.Iterator
---@return any param
---@return any state
function fun.filter(pred, gen, param, state) end

---Alias of filter. The elements for which pred(...) is truthy. (remove_if is Lua Fun's name for the same function.)
---Errors: raises if pred is not callable.
---@param pred fun(...): any
---@param gen fun.Iterable an iterable, or the gen of a raw triple
---@param param? any the triple's param (with a raw gen)
---@param state? any the triple's state (with a raw gen)
---@return fun.Iterator
---@return any param
---@return any state
function fun.remove_if(pred, gen, param, state) end

---filter by `string.find(x, pattern) ~= nil` when given a string (a Lua pattern), else the same as filter.
---Errors: raises if it is neither a string nor callable.
---@param pattern_or_pred string|fun(...): any
---@param gen fun.Iterable an iterable, or the gen of a raw triple
---@param param? any the triple's param (with a raw gen)
---@param state? any the triple's state (with a raw gen)
---@return fun.Iterator
---@return any param
---@return any state
function fun.grep(pattern_or_pred, gen, param, state) end

---Two iterators: the elements that satisfy pred, and those that do not.
---Errors: raises if pred is not callable.
---@param pred fun(...): any
---@param gen fun.Iterable an iterable, or the gen of a raw triple
---@param param? any the triple's param (with a raw gen)
---@param state? any the triple's state (with a raw gen)
---@return fun.Iterator # elements satisfying pred
---@return fun.Iterator # the others
function fun.partition(pred, gen, param, state) end

---`acc = f(acc, ...)` over the elements, from init; returns acc.
---Errors: raises if f is not callable.
---@param f fun(acc: any, ...): any
---@param init any the starting value
---@param gen fun.Iterable an iterable, or the gen of a raw triple
---@param param? any the triple's param (with a raw gen)
---@param state? any the triple's state (with a raw gen)
---@return any # the final accumulator
function fun.foldl(f, init, gen, param, state) end

---Alias of foldl. `acc = f(acc, ...)` over the elements, from init; returns acc.
---Errors: raises if f is not callable.
---@param f fun(acc: any, ...): any
---@param init any the starting value
---@param gen fun.Iterable an iterable, or the gen of a raw triple
---@param param? any the triple's param (with a raw gen)
---@param state? any the triple's state (with a raw gen)
---@return any # the final accumulator
function fun.reduce(f, init, gen, param, state) end

---The number of elements. O(1) on strings.
---@param gen fun.Iterable an iterable, or the gen of a raw triple
---@param param? any the triple's param (with a raw gen)
---@param state? any the triple's state (with a raw gen)
---@return integer
function fun.length(gen, param, state) end

---An array of the first value of every element; nil values are skipped.
---@param gen fun.Iterable an iterable, or the gen of a raw triple
---@param param? any the triple's param (with a raw gen)
---@param state? any the triple's state (with a raw gen)
---@return any[]
function fun.totable(gen, param, state) end

---A table with `t[a] = b` for every element (a, b); elements with a nil key are skipped.
---Errors: raises on a NaN key.
---@param gen fun.Iterable an iterable, or the gen of a raw triple
---@param param? any the triple's param (with a raw gen)
---@param state? any the triple's state (with a raw gen)
---@return table
function fun.tomap(gen, param, state) end

---True if the iterator has no element.
---@param gen fun.Iterable an iterable, or the gen of a raw triple
---@param param? any the triple's param (with a raw gen)
---@param state? any the triple's state (with a raw gen)
---@return boolean
function fun.is_null(gen, param, state) end

---True if pred(...) is truthy for every element (true when empty).
---Errors: raises if pred is not callable.
---@param pred fun(...): any
---@param gen fun.Iterable an iterable, or the gen of a raw triple
---@param param? any the triple's param (with a raw gen)
---@param state? any the triple's state (with a raw gen)
---@return boolean
function fun.all(pred, gen, param, state) end

---Alias of all. True if pred(...) is truthy for every element (true when empty).
---Errors: raises if pred is not callable.
---@param pred fun(...): any
---@param gen fun.Iterable an iterable, or the gen of a raw triple
---@param param? any the triple's param (with a raw gen)
---@param state? any the triple's state (with a raw gen)
---@return boolean
function fun.every(pred, gen, param, state) end

---True if pred(...) is truthy for some element; stops at the first.
---Errors: raises if pred is not callable.
---@param pred fun(...): any
---@param gen fun.Iterable an iterable, or the gen of a raw triple
---@param param? any the triple's param (with a raw gen)
---@param state? any the triple's state (with a raw gen)
---@return boolean
function fun.any(pred, gen, param, state) end

---Alias of any. True if pred(...) is truthy for some element; stops at the first.
---Errors: raises if pred is not callable.
---@param pred fun(...): any
---@param gen fun.Iterable an iterable, or the gen of a raw triple
---@param param? any the triple's param (with a raw gen)
---@param state? any the triple's state (with a raw gen)
---@return boolean
function fun.some(pred, gen, param, state) end

---The sum of the first values (0 when empty).
---@param gen fun.Iterable an iterable, or the gen of a raw triple
---@param param? any the triple's param (with a raw gen)
---@param state? any the triple's state (with a raw gen)
---@return number
function fun.sum(gen, param, state) end

---The product of the first values (1 when empty).
---@param gen fun.Iterable an iterable, or the gen of a raw triple
---@param param? any the triple's param (with a raw gen)
---@param state? any the triple's state (with a raw gen)
---@return number
function fun.product(gen, param, state) end

---The smallest first value by `<`.
---Errors: raises `min: iterator is empty`.
---@param gen fun.Iterable an iterable, or the gen of a raw triple
---@param param? any the triple's param (with a raw gen)
---@param state? any the triple's state (with a raw gen)
---@return any
function fun.min(gen, param, state) end

---Alias of min. The smallest first value by `<`.
---Errors: raises `min: iterator is empty`.
---@param gen fun.Iterable an iterable, or the gen of a raw triple
---@param param? any the triple's param (with a raw gen)
---@param state? any the triple's state (with a raw gen)
---@return any
function fun.minimum(gen, param, state) end

---The largest first value by `>`.
---Errors: raises `max: iterator is empty`.
---@param gen fun.Iterable an iterable, or the gen of a raw triple
---@param param? any the triple's param (with a raw gen)
---@param state? any the triple's state (with a raw gen)
---@return any
function fun.max(gen, param, state) end

---Alias of max. The largest first value by `>`.
---Errors: raises `max: iterator is empty`.
---@param gen fun.Iterable an iterable, or the gen of a raw triple
---@param param? any the triple's param (with a raw gen)
---@param state? any the triple's state (with a raw gen)
---@return any
function fun.maximum(gen, param, state) end

---`m = cmp(m, x)` over the first values: cmp returns the smaller of its arguments.
---Errors: raises `min_by: iterator is empty`, or if cmp is not callable.
---@param cmp fun(a: any, b: any): any returns a or b
---@param gen fun.Iterable an iterable, or the gen of a raw triple
---@param param? any the triple's param (with a raw gen)
---@param state? any the triple's state (with a raw gen)
---@return any
function fun.min_by(cmp, gen, param, state) end

---Alias of min_by. `m = cmp(m, x)` over the first values: cmp returns the smaller of its arguments.
---Errors: raises `min_by: iterator is empty`, or if cmp is not callable.
---@param cmp fun(a: any, b: any): any returns a or b
---@param gen fun.Iterable an iterable, or the gen of a raw triple
---@param param? any the triple's param (with a raw gen)
---@param state? any the triple's state (with a raw gen)
---@return any
function fun.minimum_by(cmp, gen, param, state) end

---`m = cmp(m, x)` over the first values: cmp returns the larger of its arguments.
---Errors: raises `max_by: iterator is empty`, or if cmp is not callable.
---@param cmp fun(a: any, b: any): any returns a or b
---@param gen fun.Iterable an iterable, or the gen of a raw triple
---@param param? any the triple's param (with a raw gen)
---@param state? any the triple's state (with a raw gen)
---@return any
function fun.max_by(cmp, gen, param, state) end

---Alias of max_by. `m = cmp(m, x)` over the first values: cmp returns the larger of its arguments.
---Errors: raises `max_by: iterator is empty`, or if cmp is not callable.
---@param cmp fun(a: any, b: any): any returns a or b
---@param gen fun.Iterable an iterable, or the gen of a raw triple
---@param param? any the triple's param (with a raw gen)
---@param state? any the triple's state (with a raw gen)
---@return any
function fun.maximum_by(cmp, gen, param, state) end

---An iterator over `f(...)` of every element.
---Errors: raises if f is not callable.
---@param f fun(...): ...
---@param gen fun.Iterable an iterable, or the gen of a raw triple
---@param param? any the triple's param (with a raw gen)
---@param state? any the triple's state (with a raw gen)
---@return fun.Iterator
---@return any param
---@return any state
function fun.map(f, gen, param, state) end

---An iterator over `i, ...` with i = 1, 2, ...
---@param gen fun.Iterable an iterable, or the gen of a raw triple
---@param param? any the triple's param (with a raw gen)
---@param state? any the triple's state (with a raw gen)
---@return fun.Iterator
---@return any param
---@return any state
function fun.enumerate(gen, param, state) end

---An iterator with x between consecutive elements (never after the last).
---@param x any
---@param gen fun.Iterable an iterable, or the gen of a raw triple
---@param param? any the triple's param (with a raw gen)
---@param state? any the triple's state (with a raw gen)
---@return fun.Iterator
---@return any param
---@return any state
function fun.intersperse(x, gen, param, state) end

---An infinite iterator repeating the elements (an empty one stays empty).
---@param gen fun.Iterable an iterable, or the gen of a raw triple
---@param param? any the triple's param (with a raw gen)
---@param state? any the triple's state (with a raw gen)
---@return fun.Iterator
---@return any param
---@return any state
function fun.cycle(gen, param, state) end

-------------------------------------------------------------------------------
-- Methods
-------------------------------------------------------------------------------

---The triple inside the iterator (an array's is `ipairs(t)`'s, as in Lua Fun).
---@return fun.Gen gen
---@return any param
---@return any state
function Iterator:unwrap() end

---A new iterator object over the same triple.
---@return fun.Iterator
function Iterator:iter() end

---The elements of this iterator and the others side by side.
---@param ... fun.Iterable
---@return fun.Iterator
function Iterator:zip(...) end

---The elements of this iterator, then of the others.
---@param ... fun.Iterable
---@return fun.Iterator
function Iterator:chain(...) end

---True if this iterator is a prefix of other.
---@param other fun.Iterable
---@return boolean
function Iterator:is_prefix_of(other) end

---Calls `f(...)` with the values of every element.
---Errors: raises if f is not callable or the argument is not iterable.
---@param f fun(...): any called once per element
function Iterator:each(f) end

---Alias of each. Calls `f(...)` with the values of every element.
---Errors: raises if f is not callable or the argument is not iterable.
---@param f fun(...): any called once per element
function Iterator:for_each(f) end

---Alias of each. Calls `f(...)` with the values of every element.
---Errors: raises if f is not callable or the argument is not iterable.
---@param f fun(...): any called once per element
function Iterator:foreach(f) end

---The values of the n-th element (1-based), or nil if there are fewer. O(1) on strings; on arrays it checks for a nil before n, as iteration stops there.
---Errors: raises if n is not a positive integer.
---@param n integer position, from 1
---@return any ... # the element's values
function Iterator:nth(n) end

---The values of the first element.
---Errors: raises `head: iterator is empty` on an empty iterator.
---@return any ... # the element's values
function Iterator:head() end

---Alias of head. The values of the first element.
---Errors: raises `head: iterator is empty` on an empty iterator.
---@return any ... # the element's values
function Iterator:car() end

---The iterator without its first element (an empty one stays empty).
---@return fun.Iterator
---@return any param
---@return any state
function Iterator:tail() end

---Alias of tail. The iterator without its first element (an empty one stays empty).
---@return fun.Iterator
---@return any param
---@return any state
function Iterator:cdr() end

---The first n elements.
---Errors: raises if n is negative or not a number.
---@param n integer how many
---@return fun.Iterator
---@return any param
---@return any state
function Iterator:take_n(n) end

---The longest prefix whose elements satisfy pred.
---Errors: raises if pred is not callable.
---@param pred fun(...): any
---@return fun.Iterator
---@return any param
---@return any state
function Iterator:take_while(pred) end

---take_n for a number, take_while for a function.
---Errors: as take_n / take_while.
---@param n_or_pred integer|fun(...): any
---@return fun.Iterator
---@return any param
---@return any state
function Iterator:take(n_or_pred) end

---The iterator after its first n elements.
---Errors: raises if n is negative or not a number.
---@param n integer how many to skip
---@return fun.Iterator
---@return any param
---@return any state
function Iterator:drop_n(n) end

---The iterator after the longest prefix whose elements satisfy pred.
---Errors: raises if pred is not callable.
---@param pred fun(...): any
---@return fun.Iterator
---@return any param
---@return any state
function Iterator:drop_while(pred) end

---drop_n for a number, drop_while for a function.
---Errors: as drop_n / drop_while.
---@param n_or_pred integer|fun(...): any
---@return fun.Iterator
---@return any param
---@return any state
function Iterator:drop(n_or_pred) end

---`take(n_or_pred, ...)` and `drop(n_or_pred, ...)` as two iterators.
---Errors: as take / drop.
---@param n_or_pred integer|fun(...): any
---@return fun.Iterator # the prefix
---@return fun.Iterator # the rest
function Iterator:span(n_or_pred) end

---Alias of span. `take(n_or_pred, ...)` and `drop(n_or_pred, ...)` as two iterators.
---Errors: as take / drop.
---@param n_or_pred integer|fun(...): any
---@return fun.Iterator # the prefix
---@return fun.Iterator # the rest
function Iterator:split(n_or_pred) end

---Alias of span. `take(n_or_pred, ...)` and `drop(n_or_pred, ...)` as two iterators.
---Errors: as take / drop.
---@param n_or_pred integer|fun(...): any
---@return fun.Iterator # the prefix
---@return fun.Iterator # the rest
function Iterator:split_at(n_or_pred) end

---Position (1-based) of the first element whose first value equals x, or nil.
---@param x any the value to find
---@return integer|nil
function Iterator:index(x) end

---Alias of index. Position (1-based) of the first element whose first value equals x, or nil.
---@param x any the value to find
---@return integer|nil
function Iterator:index_of(x) end

---Alias of index. Position (1-based) of the first element whose first value equals x, or nil.
---@param x any the value to find
---@return integer|nil
function Iterator:elem_index(x) end

---An iterator over the positions of the elements equal to x.
---@param x any the value to find
---@return fun.Iterator
---@return any param
---@return any state
function Iterator:indexes(x) end

---Alias of indexes. An iterator over the positions of the elements equal to x.
---@param x any the value to find
---@return fun.Iterator
---@return any param
---@return any state
function Iterator:indices(x) end

---Alias of indexes. An iterator over the positions of the elements equal to x.
---@param x any the value to find
---@return fun.Iterator
---@return any param
---@return any state
function Iterator:elem_indexes(x) end

---Alias of indexes. An iterator over the positions of the elements equal to x.
---@param x any the value to find
---@return fun.Iterator
---@return any param
---@return any state
function Iterator:elem_indices(x) end

---The elements for which pred(...) is truthy. (remove_if is Lua Fun's name for the same function.)
---Errors: raises if pred is not callable.
---@param pred fun(...): any
---@return fun.Iterator
---@return any param
---@return any state
function Iterator:filter(pred) end

---Alias of filter. The elements for which pred(...) is truthy. (remove_if is Lua Fun's name for the same function.)
---Errors: raises if pred is not callable.
---@param pred fun(...): any
---@return fun.Iterator
---@return any param
---@return any state
function Iterator:remove_if(pred) end

---filter by `string.find(x, pattern) ~= nil` when given a string (a Lua pattern), else the same as filter.
---Errors: raises if it is neither a string nor callable.
---@param pattern_or_pred string|fun(...): any
---@return fun.Iterator
---@return any param
---@return any state
function Iterator:grep(pattern_or_pred) end

---Two iterators: the elements that satisfy pred, and those that do not.
---Errors: raises if pred is not callable.
---@param pred fun(...): any
---@return fun.Iterator # elements satisfying pred
---@return fun.Iterator # the others
function Iterator:partition(pred) end

---`acc = f(acc, ...)` over the elements, from init; returns acc.
---Errors: raises if f is not callable.
---@param f fun(acc: any, ...): any
---@param init any the starting value
---@return any # the final accumulator
function Iterator:foldl(f, init) end

---Alias of foldl. `acc = f(acc, ...)` over the elements, from init; returns acc.
---Errors: raises if f is not callable.
---@param f fun(acc: any, ...): any
---@param init any the starting value
---@return any # the final accumulator
function Iterator:reduce(f, init) end

---The number of elements. O(1) on strings.
---@return integer
function Iterator:length() end

---An array of the first value of every element; nil values are skipped.
---@return any[]
function Iterator:totable() end

---A table with `t[a] = b` for every element (a, b); elements with a nil key are skipped.
---Errors: raises on a NaN key.
---@return table
function Iterator:tomap() end

---True if the iterator has no element.
---@return boolean
function Iterator:is_null() end

---True if pred(...) is truthy for every element (true when empty).
---Errors: raises if pred is not callable.
---@param pred fun(...): any
---@return boolean
function Iterator:all(pred) end

---Alias of all. True if pred(...) is truthy for every element (true when empty).
---Errors: raises if pred is not callable.
---@param pred fun(...): any
---@return boolean
function Iterator:every(pred) end

---True if pred(...) is truthy for some element; stops at the first.
---Errors: raises if pred is not callable.
---@param pred fun(...): any
---@return boolean
function Iterator:any(pred) end

---Alias of any. True if pred(...) is truthy for some element; stops at the first.
---Errors: raises if pred is not callable.
---@param pred fun(...): any
---@return boolean
function Iterator:some(pred) end

---The sum of the first values (0 when empty).
---@return number
function Iterator:sum() end

---The product of the first values (1 when empty).
---@return number
function Iterator:product() end

---The smallest first value by `<`.
---Errors: raises `min: iterator is empty`.
---@return any
function Iterator:min() end

---Alias of min. The smallest first value by `<`.
---Errors: raises `min: iterator is empty`.
---@return any
function Iterator:minimum() end

---The largest first value by `>`.
---Errors: raises `max: iterator is empty`.
---@return any
function Iterator:max() end

---Alias of max. The largest first value by `>`.
---Errors: raises `max: iterator is empty`.
---@return any
function Iterator:maximum() end

---`m = cmp(m, x)` over the first values: cmp returns the smaller of its arguments.
---Errors: raises `min_by: iterator is empty`, or if cmp is not callable.
---@param cmp fun(a: any, b: any): any returns a or b
---@return any
function Iterator:min_by(cmp) end

---Alias of min_by. `m = cmp(m, x)` over the first values: cmp returns the smaller of its arguments.
---Errors: raises `min_by: iterator is empty`, or if cmp is not callable.
---@param cmp fun(a: any, b: any): any returns a or b
---@return any
function Iterator:minimum_by(cmp) end

---`m = cmp(m, x)` over the first values: cmp returns the larger of its arguments.
---Errors: raises `max_by: iterator is empty`, or if cmp is not callable.
---@param cmp fun(a: any, b: any): any returns a or b
---@return any
function Iterator:max_by(cmp) end

---Alias of max_by. `m = cmp(m, x)` over the first values: cmp returns the larger of its arguments.
---Errors: raises `max_by: iterator is empty`, or if cmp is not callable.
---@param cmp fun(a: any, b: any): any returns a or b
---@return any
function Iterator:maximum_by(cmp) end

---An iterator over `f(...)` of every element.
---Errors: raises if f is not callable.
---@param f fun(...): ...
---@return fun.Iterator
---@return any param
---@return any state
function Iterator:map(f) end

---An iterator over `i, ...` with i = 1, 2, ...
---@return fun.Iterator
---@return any param
---@return any state
function Iterator:enumerate() end

---An iterator with x between consecutive elements (never after the last).
---@param x any
---@return fun.Iterator
---@return any param
---@return any state
function Iterator:intersperse(x) end

---An infinite iterator repeating the elements (an empty one stays empty).
---@return fun.Iterator
---@return any param
---@return any state
function Iterator:cycle() end

-------------------------------------------------------------------------------
-- Operators
-------------------------------------------------------------------------------

---Lua's operators as functions, for foldl and friends (also `fun.op`).
---@class fun.operator
---@field lt fun(a: any, b: any): boolean a < b
---@field le fun(a: any, b: any): boolean a <= b
---@field eq fun(a: any, b: any): boolean a == b
---@field ne fun(a: any, b: any): boolean a ~= b
---@field ge fun(a: any, b: any): boolean a >= b
---@field gt fun(a: any, b: any): boolean a > b
---@field add fun(a: number, b: number): number a + b
---@field sub fun(a: number, b: number): number a - b
---@field mul fun(a: number, b: number): number a * b
---@field div fun(a: number, b: number): number a / b
---@field truediv fun(a: number, b: number): number a / b
---@field floordiv fun(a: number, b: number): number math.floor(a / b)
---@field intdiv fun(a: number, b: number): number a / b rounded toward zero
---@field mod fun(a: number, b: number): number a % b
---@field pow fun(a: number, b: number): number a ^ b
---@field neg fun(a: number): number -a
---@field neq fun(a: number): number -a (Lua Fun's spelling of neg)
---@field unm fun(a: number): number -a
---@field concat fun(a: string|number, b: string|number): string a .. b
---@field len fun(a: string|table): integer #a
---@field length fun(a: string|table): integer #a
---@field land fun(a: any, b: any): any a and b
---@field lor fun(a: any, b: any): any a or b
---@field lnot fun(a: any): boolean not a
---@field truth fun(a: any): boolean not not a
fun.operator = {}

---Alias of fun.operator.
---@type fun.operator
fun.op = fun.operator

return fun
