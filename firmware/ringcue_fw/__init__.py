# ringcue_fw: the MicroPython-only half of the firmware (asyncio app, pins,
# flash). Board specifics come from the `board` module (boards/<name>/).
