# Runs at boot. The board module (boards/<name>/board.py, installed as
# /board.py) says which pins do what; the app never names a pin itself.
import board
from ringcue_fw.app import main

main(board)
