"""demonitor: the digital-economy monitoring platform (数字经济统计监测平台)."""

__version__ = "0.1.0"
