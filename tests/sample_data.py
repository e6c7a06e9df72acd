"""Small hand-made extract rows and the test pseudonym key, shared by the tests."""

TEST_KEY = b"test-pseudonym-key"

OPERATIONS_HEADER = "operation_ref,team,owning_force,opened_date,closed_date,soc_master_list\n"
OPERATIONS_OK = OPERATIONS_HEADER + (
    "TARIAN Op 49,TARIAN,South Wales,2023-01-05,,Y\n"
    "LONDON Op 35,LONDON,Metropolitan Police,2022-06-01,,N\n"
)
