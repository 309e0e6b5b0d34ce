"""adlab's engine-free reverse-mode Value (adlab.exercises.reference_value), which Lesson 6's demonstrations run:
its sweeps, what it says when asked for what it cannot do, and the old import path of lessons saved before the
module was named for what it holds."""

import numpy as np
import pytest

from adlab.exercises import ReferenceValue as exported
from adlab.exercises.reference_value import ReferenceValue
from adlab.exercises.value_class import check_reverse_value, value_class_verdict


def test_backward_twice_on_the_reference_accumulates_stale_adjoints():
    x1, x2 = ReferenceValue(3.0), ReferenceValue(-4.0)
    y = (x1 * x2 + x2) - x1.log()
    y.backward()
    assert (x1.grad, x2.grad) == pytest.approx((-13 / 3, 4.0))
    y.backward()  # the intermediates kept their adjoints: not simply doubled
    assert (x1.grad, x2.grad) == pytest.approx((-17.0, 15.0))
    y.zero_grad()
    y.backward()
    assert (x1.grad, x2.grad) == pytest.approx((-13 / 3, 4.0))


def test_the_reference_says_in_one_sentence_what_it_cannot_do():
    with pytest.raises(TypeError) as array:
        ReferenceValue(np.array([1.0, 2.0]))
    assert str(array.value) == ("a ReferenceValue holds one number, not an array of shape (2,): make one "
                                "ReferenceValue per entry.")
    with pytest.raises(TypeError) as power:
        ReferenceValue(3.0) ** 2
    assert str(power.value) == ("ReferenceValue has no ** (power): write x * x for x ** 2; it has + − × /, "
                                "log and exp.")
    with pytest.raises(TypeError) as nested:
        ReferenceValue(ReferenceValue(1.0))
    assert "already a ReferenceValue" in str(nested.value)
    assert ReferenceValue(np.float64(2.5)).data == 2.5 and ReferenceValue(np.array(2.5)).data == 2.5
    for error in (array.value, power.value, nested.value):
        assert len(str(error).splitlines()) == 1


def test_lessons_saved_before_the_rename_still_import_from_tape():
    namespace = {}
    exec("from adlab.exercises.tape import ReferenceValue, check_reverse_value, value_class_verdict", namespace)
    assert namespace["ReferenceValue"] is ReferenceValue is exported
    assert namespace["check_reverse_value"] is check_reverse_value
    assert namespace["value_class_verdict"] is value_class_verdict
