from fks_gitops.docdiff import diff, show

POD = {"spec": {"containers": [{"name": "execution", "image": "x:1"}], "replicas": 2}}


def test_equal_documents_have_no_differences():
    assert list(diff(POD, {"spec": {"replicas": 2, "containers": [{"image": "x:1", "name": "execution"}]}})) == []


def test_each_differing_leaf_with_both_values_in_key_order():
    after = {"spec": {"containers": [{"name": "execution", "image": "x:2"}], "replicas": 3, "paused": True}}
    assert list(diff(POD, after)) == [
        (("spec", "containers", "[0]", "image"), "x:1", "x:2"),
        (("spec", "paused"), None, True),
        (("spec", "replicas"), 2, 3),
    ]


def test_lists_of_other_lengths_and_changed_types_differ_whole():
    assert list(diff({"a": [1, 2]}, {"a": [1, 2, 3]})) == [(("a",), [1, 2], [1, 2, 3])]
    assert list(diff({"a": {"b": 1}}, {"a": "b"})) == [(("a",), {"b": 1}, "b")]


def test_keys_of_mixed_types_are_ordered_as_text():
    assert [p for p, _, _ in diff({1: "a", "b": 1}, {1: "z", "b": 2})] == [(1,), ("b",)]


def test_a_start_path_prefixes_every_result():
    assert list(diff(1, 2, ("data",))) == [(("data",), 1, 2)]


def test_show_writes_dotted_paths_with_list_indexes():
    assert show(("spec", "template", "spec", "containers", "[0]", "image")) == "spec.template.spec.containers[0].image"
    assert show(("[1]", "ports", "[0]", "[2]")) == "[1].ports[0][2]"
    assert show(("data", 80)) == "data.80"
    assert show(()) == "."
